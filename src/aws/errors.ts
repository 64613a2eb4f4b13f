// Errors the release engine tells apart, in a module of their own: the engine's plan and its
// dry run load them without loading any AWS SDK client.

/** A Beanstalk deployment that failed or timed out, with the events that say why and where. */
export class BeanstalkDeploymentError extends Error {
  constructor(
    message: string,
    readonly environmentName: string,
    /** The instance Beanstalk's events name, when they name one. */
    readonly instanceId: string | undefined,
    readonly events: readonly string[],
  ) {
    super(message);
    this.name = 'BeanstalkDeploymentError';
  }
}
