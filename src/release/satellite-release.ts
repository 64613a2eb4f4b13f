// Releasing a satellite application (document 2, 3, 4: the PIM, the connection app, the
// Mirakl-HiPay connector) through the same machinery as Magento: the lock, the artifact, the
// application version, then a rolling update of its single instance. Their schema updates run in
// their bundle's hooks (src/assets/beanstalk/apps), so there is no maintenance step.
import type { ReleasePlatform } from '../aws/operations.ts';
import { releaseArtifactsParameter, releaseLockParameter, satelliteApplicationName } from '../config/names.ts';
import type { Platform } from '../config/schema.ts';
import {
  elapsed,
  failedInstance,
  type ReleaseArtifact,
  ReleaseFailure,
  type ReleaseSummary,
  takeReleaseLock,
} from './magento-release.ts';

export type SatelliteApp = 'pim' | 'connector' | 'mirakl';

export interface SatelliteReleaseOptions {
  readonly platform: Platform;
  readonly app: SatelliteApp;
  readonly artifact: ReleaseArtifact;
  readonly owner: string;
  readonly progress: (line: string) => void;
  readonly now?: () => number;
}

/** The satellite apps are shared by every environment: their lock lives under `shared`. */
const SHARED = 'shared';

export class SatelliteRelease {
  private readonly now: () => number;

  constructor(
    private readonly options: SatelliteReleaseOptions,
    private readonly aws: ReleasePlatform,
  ) {
    this.now = options.now ?? Date.now;
  }

  async execute(): Promise<ReleaseSummary> {
    const { platform, app, artifact, progress } = this.options;
    const aws = this.aws;
    const name = satelliteApplicationName(platform, app);
    const lock = releaseLockParameter(platform, SHARED, app);
    const key = `${app}/${artifact.releaseId}.zip`;
    const started = this.now();
    const steps: { name: string; seconds: number }[] = [];
    let current = 'take the release lock';
    const step = async (stepName: string, action: () => Promise<void>) => {
      current = stepName;
      const begin = this.now();
      progress(`[${elapsed(started, begin)}] ${stepName}...`);
      await action();
      steps.push({ name: stepName, seconds: (this.now() - begin) / 1000 });
    };
    const previous = (await aws.beanstalk.describe(name)).versionLabel;
    await takeReleaseLock(aws, lock, {
      owner: this.options.owner,
      since: new Date(started).toISOString(),
      purpose: `release ${app} ${artifact.releaseId}`,
    });
    try {
      const bucket = await aws.parameters.get(releaseArtifactsParameter(platform));
      await step('upload the artifact', () => aws.artifacts.upload(bucket, key, artifact.file, artifact.sha256));
      await step('create the application version', async () => {
        if (!(await aws.beanstalk.hasVersion(name, artifact.releaseId))) {
          await aws.beanstalk.createVersion(
            name,
            artifact.releaseId,
            bucket,
            key,
            `storestack release ${artifact.releaseId}`,
          );
        }
      });
      await step(`deploy ${name}`, () =>
        aws.beanstalk.deploy(name, artifact.releaseId, platform.magento.deployment.timeoutSeconds * 2, (event) =>
          progress(`  ${name}: ${event}`),
        ),
      );
    } catch (error) {
      const instances = await aws.beanstalk.instances(name).catch(() => []);
      const { instanceId, privateIp, logTail } = await failedInstance(aws, error, instances[0]);
      throw new ReleaseFailure(current, error, instanceId ? { id: instanceId, privateIp } : undefined, logTail, false, [
        `fix the cause, then run again: storestack release ${app} --env <env> --artifact ${artifact.file}`,
        ...(previous
          ? [
              `roll back: aws elasticbeanstalk update-environment --environment-name ${name} --version-label ${previous}`,
            ]
          : []),
      ]);
    } finally {
      await aws.parameters.release(lock);
    }
    return {
      releaseId: artifact.releaseId,
      strategy: 'safe',
      upgrade: undefined,
      steps,
      maintenanceSeconds: 0,
      totalSeconds: (this.now() - started) / 1000,
    };
  }
}
