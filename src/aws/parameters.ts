// SSM Parameter Store: the names the stacks publish (bucket names, listener ARNs, ...), and the
// release lock, a parameter created only when absent.
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';

export interface Parameters {
  /** The parameter's value; throws naming the parameter when it does not exist. */
  get(name: string): Promise<string>;
}

/** Who holds a lock, and since when. */
export interface LockOwner {
  readonly owner: string;
  readonly since: string;
  readonly purpose: string;
}

export interface Locks {
  /** Takes the lock; resolves to undefined, or to the current owner when someone holds it. */
  acquire(name: string, owner: LockOwner): Promise<LockOwner | undefined>;
  /** Gives the lock up (nothing when it is not held). */
  release(name: string): Promise<void>;
}

export class SsmParameters implements Parameters, Locks {
  constructor(private readonly ssm: SSMClient) {}

  async get(name: string): Promise<string> {
    try {
      const output = await this.ssm.send(new GetParameterCommand({ Name: name }));
      const value = output.Parameter?.Value;
      if (value === undefined) throw new Error(`SSM parameter ${name} has no value`);
      return value;
    } catch (error) {
      if (error instanceof ParameterNotFound) {
        throw new Error(`SSM parameter ${name} does not exist: is the stack that publishes it deployed?`);
      }
      throw error;
    }
  }

  async acquire(name: string, owner: LockOwner): Promise<LockOwner | undefined> {
    try {
      // Overwrite false: PutParameter fails when the parameter exists, atomically.
      await this.ssm.send(
        new PutParameterCommand({ Name: name, Value: JSON.stringify(owner), Type: 'String', Overwrite: false }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof ParameterAlreadyExists)) throw error;
      const held = await this.ssm.send(new GetParameterCommand({ Name: name }));
      try {
        return JSON.parse(held.Parameter?.Value ?? '{}') as LockOwner;
      } catch {
        return { owner: 'unknown', since: 'unknown', purpose: held.Parameter?.Value ?? '' };
      }
    }
  }

  async release(name: string): Promise<void> {
    try {
      await this.ssm.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if (!(error instanceof ParameterNotFound)) throw error;
    }
  }
}
