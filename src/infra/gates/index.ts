import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';

export { type Acknowledgement, acknowledge, acknowledgeWildcardResources, literalPartition } from './acknowledge.ts';

/**
 * Registers the rule packs every synthesis runs: AWS Solutions and PCI DSS 3.2.1
 * (the store takes payments). aws-cdk-lib's own CloudFormation validation is
 * built in; its errors fail synthesis through the context flag in cdk.json.
 */
export function addComplianceGates(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PCIDSS321Checks(app));
}
