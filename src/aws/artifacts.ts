// The release artifacts bucket (Storage stack, `<client>-release-artifacts`): a release's zip is
// uploaded once and every environment deploys that same object.
import { createReadStream, statSync } from 'node:fs';
import { HeadObjectCommand, NotFound, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface ArtifactStore {
  /** Uploads `file` to `bucket`/`key` unless an object with the same SHA-256 is there already. */
  upload(bucket: string, key: string, file: string, sha256: string): Promise<void>;
}

export class S3ArtifactStore implements ArtifactStore {
  constructor(private readonly s3: S3Client) {}

  async upload(bucket: string, key: string, file: string, sha256: string): Promise<void> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      if (head.Metadata?.sha256 === sha256) return;
      throw new Error(
        `s3://${bucket}/${key} exists with another content (sha256 ${head.Metadata?.sha256 ?? 'unknown'}): a release id names one artifact`,
      );
    } catch (error) {
      if (!(error instanceof NotFound)) throw error;
    }
    await this.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: createReadStream(file),
        ContentLength: statSync(file).size,
        ContentType: 'application/zip',
        Metadata: { sha256 },
      }),
    );
  }
}
