// Running shell commands on an instance through Systems Manager (the instances have no SSH:
// every server's role carries AmazonSSMManagedInstanceCore), and finding an instance's private
// address (the document's "In Case of an Error" looks it up in the EC2 console).
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';

/** What a command printed, and how it ended. */
export interface CommandResult {
  readonly instanceId: string;
  /** `Success`, `Failed`, `TimedOut`, `Cancelled`, ... (SSM's status). */
  readonly status: string;
  /** The script's exit code (-1 when it never ran). */
  readonly exitCode: number;
  /** Standard output, as SSM keeps it (its first 24,000 characters). */
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs scripts on instances. */
export interface CommandRunner {
  /**
   * Runs `script` (bash, `set -euo pipefail` added) on `instanceId` as root and waits for it; a
   * failed script resolves with its status and output: the caller decides. Throws when SSM cannot
   * run it at all (instance not managed, access denied) or it outlives `timeoutSeconds`.
   */
  run(
    instanceId: string,
    script: string,
    options: { readonly comment: string; readonly timeoutSeconds: number },
  ): Promise<CommandResult>;
  /** The instance's private IPv4 address as Systems Manager's agent reports it. */
  privateIp(instanceId: string): Promise<string | undefined>;
}

/** A clock the waits use; tests pass one that does not sleep. */
export interface Sleeper {
  sleep(milliseconds: number): Promise<void>;
  now(): number;
}

export const REAL_TIME: Sleeper = {
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
  now: () => Date.now(),
};

const FINAL = new Set([
  'Success',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Undeliverable',
  'Terminated',
  'InvalidPlatform',
  'AccessDenied',
  'DeliveryTimedOut',
  'ExecutionTimedOut',
]);

/** Systems Manager Run Command (AWS-RunShellScript). */
export class SsmCommandRunner implements CommandRunner {
  constructor(
    private readonly ssm: SSMClient,
    private readonly clock: Sleeper = REAL_TIME,
    private readonly pollMilliseconds = 2000,
  ) {}

  async run(
    instanceId: string,
    script: string,
    options: { readonly comment: string; readonly timeoutSeconds: number },
  ): Promise<CommandResult> {
    const sent = await this.ssm.send(
      new SendCommandCommand({
        InstanceIds: [instanceId],
        DocumentName: 'AWS-RunShellScript',
        Comment: options.comment.slice(0, 100),
        TimeoutSeconds: Math.max(30, options.timeoutSeconds),
        Parameters: { commands: ['set -euo pipefail', script], executionTimeout: [String(options.timeoutSeconds)] },
      }),
    );
    const commandId = sent.Command?.CommandId;
    if (!commandId) throw new Error(`SSM SendCommand to ${instanceId} returned no command id`);
    const deadline = this.clock.now() + (options.timeoutSeconds + 60) * 1000;
    for (;;) {
      await this.clock.sleep(this.pollMilliseconds);
      try {
        const invocation = await this.ssm.send(
          new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
        );
        const status = invocation.Status ?? 'Pending';
        if (FINAL.has(status)) {
          return {
            instanceId,
            status,
            exitCode: invocation.ResponseCode ?? -1,
            stdout: invocation.StandardOutputContent ?? '',
            stderr: invocation.StandardErrorContent ?? '',
          };
        }
      } catch (error) {
        // Right after SendCommand the invocation may not exist yet.
        if (!(error instanceof InvocationDoesNotExist)) throw error;
      }
      if (this.clock.now() > deadline) {
        throw new Error(
          `"${options.comment}" on ${instanceId} did not finish within ${options.timeoutSeconds} s (SSM command ${commandId})`,
        );
      }
    }
  }

  async privateIp(instanceId: string): Promise<string | undefined> {
    const output = await this.ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
    );
    return output.InstanceInformationList?.[0]?.IPAddress;
  }
}
