import { Stack, Validations } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { IConstruct } from 'constructs';

/** A validation finding accepted on purpose, with the reason a reviewer can check. */
export interface Acknowledgement {
  /** The rule, e.g. `AwsSolutions-VPC7` or `PCI.DSS.321-VPCFlowLogsEnabled`; `Rule[Finding]` for one finding. */
  readonly id: string;
  /** Why the finding does not apply or is accepted: a fact a reviewer can verify, not "not needed". */
  readonly reason: string;
}

const MIN_REASON_LENGTH = 30;

/**
 * Records every acknowledgement of one construct in one call, so that each
 * construct has a single place that lists what it accepts and why.
 */
export function acknowledge(scope: IConstruct, ...acknowledgements: Acknowledgement[]): void {
  for (const { id, reason } of acknowledgements) {
    if (reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(
        `${scope.node.path}: the acknowledgement of ${id} needs a reason a reviewer can check (at least ${MIN_REASON_LENGTH} characters), got "${reason}"`,
      );
    }
  }
  Validations.of(scope).acknowledge(...acknowledgements);
}

/**
 * Acknowledges AwsSolutions-IAM5 for each wildcard resource of `resources` (the ones with a `*`),
 * with one reason. cdk-nag reports one finding per wildcard resource, named after the resource,
 * so each is acknowledged by name: a new wildcard added later is still reported. The resources
 * must resolve to literal strings, as in the template, or the names would not match.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  // As the template will have them: a known region's partition resolves to its name.
  const resolved = resources.map((resource) => Stack.of(scope).resolve(resource) as unknown);
  const unresolved = resolved.filter(
    (resource) => typeof resource !== 'string' && JSON.stringify(resource).includes('*'),
  );
  if (unresolved.length > 0) {
    throw new Error(
      `${scope.node.path}: wildcard resources must be literal to be acknowledged by name, got ${unresolved.map((resource) => JSON.stringify(resource)).join(', ')}`,
    );
  }
  const wildcards = [
    ...new Set(
      resolved.filter((resource): resource is string => typeof resource === 'string' && resource.includes('*')),
    ),
  ];
  acknowledge(scope, ...wildcards.map((resource) => ({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason })));
}

/**
 * The partition of `scope`'s stack as a literal (`aws`), not the AWS::Partition reference: for
 * ARNs whose wildcards {@link acknowledgeWildcardResources} names as written.
 */
export function literalPartition(scope: IConstruct): string {
  const { region } = Stack.of(scope);
  const partition = RegionInfo.get(region).partition;
  if (!partition) throw new Error(`${scope.node.path}: the partition of region ${region} is unknown`);
  return partition;
}
