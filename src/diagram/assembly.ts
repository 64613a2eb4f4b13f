// The synthesized platform as the diagrams read it: every stack's CloudFormation template,
// from a cloud assembly directory (cdk.out) or from templates already in memory (tests).
// References between resources are followed across stacks (Ref, Fn::GetAtt and the
// Fn::ImportValue of another stack's export), so a diagram links what the templates link.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>;
}

/** One resource of one stack. */
export interface AssemblyResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, unknown>;
}

/** A cdk.out that cannot be read: names the file and what is wrong with it. */
export class AssemblyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssemblyError';
  }
}

interface Manifest {
  readonly artifacts?: Record<
    string,
    { readonly type?: string; readonly properties?: { readonly templateFile?: unknown } }
  >;
}

export class Assembly {
  private readonly exports = new Map<string, { stack: string; value: unknown }>();

  constructor(readonly templates: ReadonlyMap<string, CfnTemplate>) {
    for (const [stack, template] of templates) {
      for (const output of Object.values(template.Outputs ?? {})) {
        const name = output.Export?.Name;
        if (typeof name === 'string') this.exports.set(name, { stack, value: output.Value });
      }
    }
  }

  /**
   * Reads the stacks of the cloud assembly in `dir` (its manifest.json lists them).
   * A missing or corrupt manifest or template is an AssemblyError naming the file.
   */
  static fromDirectory(dir: string): Assembly {
    const manifestFile = join(dir, 'manifest.json');
    const manifest = readJson<Manifest>(manifestFile);
    const stacks = Object.entries(manifest.artifacts ?? {}).filter(
      ([, artifact]) => artifact.type === 'aws:cloudformation:stack',
    );
    if (stacks.length === 0) throw new AssemblyError(`${manifestFile}: lists no CloudFormation stack`);
    const templates = new Map<string, CfnTemplate>();
    for (const [name, artifact] of stacks) {
      const templateFile = artifact.properties?.templateFile;
      if (typeof templateFile !== 'string') {
        throw new AssemblyError(`${manifestFile}: stack ${name} has no templateFile`);
      }
      const file = join(dir, templateFile);
      const template = readJson<CfnTemplate>(file);
      if (typeof template !== 'object' || template === null || typeof template.Resources !== 'object') {
        throw new AssemblyError(`${file}: not a CloudFormation template (no Resources)`);
      }
      templates.set(name, template);
    }
    return new Assembly(templates);
  }

  /** Every resource of `type`, stacks in name order and resources in template order. */
  ofType(type: string, stack?: string): AssemblyResource[] {
    const found: AssemblyResource[] = [];
    for (const name of [...this.templates.keys()].sort()) {
      if (stack !== undefined && name !== stack) continue;
      for (const [logicalId, resource] of Object.entries(this.templates.get(name)?.Resources ?? {})) {
        if (resource.Type === type) found.push(toResource(name, logicalId, resource));
      }
    }
    return found;
  }

  /** The resource `id` of `stack`, if there is one. */
  resource(stack: string, logicalId: string): AssemblyResource | undefined {
    const resource = this.templates.get(stack)?.Resources?.[logicalId];
    return resource ? toResource(stack, logicalId, resource) : undefined;
  }

  /**
   * The resource a value refers to, seen from `stack`: a Ref, an Fn::GetAtt, or an
   * Fn::ImportValue of another stack's export that is one of those. Undefined for anything else.
   */
  referenced(stack: string, value: unknown): AssemblyResource | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const object = value as Record<string, unknown>;
    if (typeof object.Ref === 'string') return this.resource(stack, object.Ref);
    const getAtt = object['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return this.resource(stack, getAtt[0]);
    const imported = object['Fn::ImportValue'];
    if (typeof imported === 'string') {
      const exported = this.exports.get(imported);
      return exported ? this.referenced(exported.stack, exported.value) : undefined;
    }
    return undefined;
  }

  /** Every resource referred to anywhere inside `value` (option settings, joins, ...). */
  referencedWithin(stack: string, value: unknown): AssemblyResource[] {
    const direct = this.referenced(stack, value);
    if (direct) return [direct];
    if (Array.isArray(value)) return value.flatMap((item) => this.referencedWithin(stack, item));
    if (typeof value === 'object' && value !== null) {
      return Object.values(value).flatMap((item) => this.referencedWithin(stack, item));
    }
    return [];
  }
}

function toResource(stack: string, logicalId: string, resource: CfnResource): AssemblyResource {
  return { stack, logicalId, type: resource.Type, properties: resource.Properties ?? {} };
}

function readJson<T>(file: string): T {
  if (!existsSync(file)) throw new AssemblyError(`${file}: missing`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new AssemblyError(`${file}: not valid JSON (${(error as Error).message}); run \`npm start\` again`);
  }
}

/** The value of the tag `key` (default: Name) of a resource, if it has one. */
export function tag(resource: AssemblyResource, key = 'Name'): string | undefined {
  const tags = resource.properties.Tags;
  if (!Array.isArray(tags)) return undefined;
  const found = tags.find((entry) => (entry as { Key?: unknown }).Key === key) as { Value?: unknown } | undefined;
  return typeof found?.Value === 'string' ? found.Value : undefined;
}

/** A string property, or undefined when it is absent or a CloudFormation expression. */
export function text(resource: AssemblyResource, property: string): string | undefined {
  const value = resource.properties[property];
  return typeof value === 'string' ? value : undefined;
}

/** A Beanstalk environment's option setting, as a literal string. */
export function optionSetting(resource: AssemblyResource, namespace: string, option: string): string | undefined {
  const value = optionValue(resource, namespace, option);
  return typeof value === 'string' ? value : undefined;
}

/** The raw value of a Beanstalk option setting (a reference stays a reference). */
export function optionValue(resource: AssemblyResource, namespace: string, option: string): unknown {
  const settings = resource.properties.OptionSettings;
  if (!Array.isArray(settings)) return undefined;
  return (
    settings.find(
      (setting: { Namespace?: unknown; OptionName?: unknown }) =>
        setting.Namespace === namespace && setting.OptionName === option,
    ) as { Value?: unknown } | undefined
  )?.Value;
}
