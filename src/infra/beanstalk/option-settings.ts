import type * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';

/** One Beanstalk option: `namespace` / `optionName` = `value` (for one named resource, optionally). */
export interface OptionSetting {
  readonly namespace: string;
  readonly optionName: string;
  readonly value: string;
  readonly resourceName?: string;
}

/**
 * The option settings of one Beanstalk environment, built in one place. Each option is set
 * once: setting it again to another value is a programming error caught at synth, not a
 * silent override whose winner depends on the order of an array. Rendered sorted, so the
 * template does not change when the code building it is reordered.
 */
export class OptionSettings {
  private readonly settings = new Map<string, OptionSetting>();

  set(namespace: string, optionName: string, value: string | number | boolean, resourceName?: string): this {
    const key = `${resourceName ?? ''}|${namespace}|${optionName}`;
    const setting: OptionSetting = {
      namespace,
      optionName,
      value: String(value),
      ...(resourceName ? { resourceName } : {}),
    };
    const existing = this.settings.get(key);
    if (existing && existing.value !== setting.value) {
      throw new Error(`${namespace}:${optionName} is set twice: "${existing.value}" and "${setting.value}"`);
    }
    this.settings.set(key, setting);
    return this;
  }

  /** Sets several options of one namespace. */
  setAll(namespace: string, options: Readonly<Record<string, string | number | boolean>>): this {
    for (const [optionName, value] of Object.entries(options)) this.set(namespace, optionName, value);
    return this;
  }

  get(namespace: string, optionName: string): string | undefined {
    return this.settings.get(`|${namespace}|${optionName}`)?.value;
  }

  toCloudFormation(): elasticbeanstalk.CfnEnvironment.OptionSettingProperty[] {
    return [...this.settings.values()]
      .sort((a, b) =>
        `${a.namespace}|${a.optionName}|${a.resourceName ?? ''}`.localeCompare(
          `${b.namespace}|${b.optionName}|${b.resourceName ?? ''}`,
        ),
      )
      .map((setting) => ({ ...setting }));
  }
}
