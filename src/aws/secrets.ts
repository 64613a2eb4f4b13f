// Secrets Manager, for the release build: the git deploy key and the composer repositories'
// credentials operators keep under <project>/build/ (document 6.B: read at build time, never on disk
// beyond the build).
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

export interface SecretReader {
  /** The secret's string, or undefined when there is no such secret. */
  value(name: string): Promise<string | undefined>;
}

export class SecretsManagerReader implements SecretReader {
  constructor(private readonly client: SecretsManagerClient) {}

  async value(name: string): Promise<string | undefined> {
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      return output.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
