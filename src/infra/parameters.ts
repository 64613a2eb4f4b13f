import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/**
 * SSM parameters under one path, e.g. `/storestack/prod/database/endpoint`: where the
 * instances and the CLI read endpoints and secret ARNs, so nothing has to query
 * CloudFormation outputs or hard-code names.
 */
export class PublishedParameters extends Construct {
  constructor(
    scope: Construct,
    id: string,
    readonly path: string,
  ) {
    super(scope, id);
    if (!/^(\/[a-z0-9-]+)+$/.test(path))
      throw new Error(`${this.node.path}: ${path} is not a parameter path such as /storestack/prod`);
  }

  /** Publishes `value` at `<path>/<name>`; `name` is also the construct's identity. */
  publish(name: string, value: string, description: string): ssm.StringParameter {
    if (!/^[a-z0-9-]+(\/[a-z0-9-]+)*$/.test(name))
      throw new Error(`${this.node.path}: ${name} is not a parameter name`);
    return new ssm.StringParameter(this, name, {
      parameterName: `${this.path}/${name}`,
      stringValue: value,
      description,
    });
  }
}
