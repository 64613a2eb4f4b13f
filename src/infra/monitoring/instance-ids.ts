// The ids of the instances the Monitoring stack alarms on (status checks), published by the stacks
// that own them. An SSM parameter, not a CloudFormation export: an export in use cannot change, so
// a deliberate replacement of the NFS server or a gateway (docs/runbooks) would be refused while
// the Monitoring stack imported its id. The Monitoring stack reads the parameters at deploy time.
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { instanceIdParameter } from '../../config/names.ts';
import type { Platform } from '../../config/schema.ts';

export { instanceIdParameter };

/** Publishes the id of the instance named `name`, for the Monitoring stack. */
export function publishInstanceId(scope: Construct, platform: Platform, name: string, instanceId: string): void {
  new ssm.StringParameter(scope, `InstanceId-${name}`, {
    parameterName: instanceIdParameter(platform, name),
    stringValue: instanceId,
    description: `The instance id of ${name}, for the Monitoring stack's status-check alarm`,
  });
}
