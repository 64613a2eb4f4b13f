import { Validations } from 'aws-cdk-lib';
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
