import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { CfnVolume } from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import {
  InvalidRundeckUserDataError,
  RUNDECK_DATA_DIR,
  type RundeckUserDataProps,
  renderRundeckUserData,
  renderStorestackLauncher,
  renderVolumeBootstrap,
} from '../../../src/assets/rundeck/render.ts';
import { fitUserData } from '../../../src/assets/user-data/compress.ts';
import { PROJECT_ROOT } from '../../support.ts';
import { PACKAGE_PARAMETER, sampleUserDataProps, VOLUME_ID } from './fixtures.ts';

const BOOTSTRAP_SOURCE = join(PROJECT_ROOT, 'src/assets/rundeck/bootstrap-volume.sh');
// User data above 16 KB is rejected by EC2.
const USER_DATA_LIMIT_BYTES = 16 * 1024;

function problems(render: () => unknown): readonly string[] {
  try {
    render();
  } catch (error) {
    if (error instanceof InvalidRundeckUserDataError) return error.problems;
    throw error;
  }
  throw new Error('expected the render to fail');
}

describe('renderVolumeBootstrap', () => {
  it('is #!/bin/bash, the volume header, then bootstrap-volume.sh without its shebang', () => {
    const text = renderVolumeBootstrap({ name: 'rundeck-data', volumeId: VOLUME_ID, mountPoint: '/var/lib/rundeck' });
    const body = readFileSync(BOOTSTRAP_SOURCE, 'utf8').replace(/^#!\/bin\/bash\n/, '');

    expect(text.startsWith('#!/bin/bash\n')).toBe(true);
    expect(text.endsWith(body)).toBe(true);
    expect(text).toContain(
      [
        "readonly VOLUME_NAME='rundeck-data'",
        `readonly VOLUME_ID='${VOLUME_ID}'`,
        "readonly VOLUME_MOUNT_POINT='/var/lib/rundeck'",
        'readonly VOLUME_WAIT_SECONDS=600',
      ].join('\n'),
    );
  });

  it('lists every invalid field', () => {
    expect(
      problems(() =>
        renderVolumeBootstrap({
          name: 'Data!',
          volumeId: 'vol-xyz',
          mountPoint: '/var/lib/../x',
          waitTimeoutSeconds: 0,
        }),
      ),
    ).toEqual([
      'name "Data!" must match [a-z0-9-]+',
      'volumeId "vol-xyz" is not an EBS volume id (vol- and 8 or 17 hex digits)',
      expect.stringContaining('mountPoint "/var/lib/../x" must be an absolute plain path'),
      'waitTimeoutSeconds must be a positive whole number of seconds (got 0)',
    ]);
  });
});

describe('renderRundeckUserData', () => {
  it('mounts the volume at /var/lib/rundeck, then sets Rundeck up, in one #!/bin/bash script', () => {
    const text = renderRundeckUserData(sampleUserDataProps());

    expect(text.match(/^#!/gm)).toHaveLength(1);
    expect(text).toContain(`readonly VOLUME_MOUNT_POINT='${RUNDECK_DATA_DIR}'`);
    expect(text).toContain("readonly RUNDECK_SERVER_URL='http://rundeck.internal-client.url:4440'");
    expect(text).toContain("readonly RUNDECK_PROJECT='client-magento'");
    expect(text).toContain("readonly RUNDECK_REGION='eu-west-3'");
    expect(text).toContain(
      "readonly RUNDECK_PACKAGES=('java-17-amazon-corretto-headless' 'git' 'jq' 'nodejs22' 'unzip' 'php8.3-cli' 'php8.3-intl' 'php8.3-gd' 'rundeck')",
    );
    expect(text).toContain(
      "readonly RUNDECK_REPO_BASEURL='https://packages.rundeck.com/pagerduty/rundeck/rpm_any/rpm_any/$basearch'",
    );
    expect(text).toContain("readonly COMPOSER_URL='https://getcomposer.org/download/2.8.4/composer.phar'");
    expect(text.indexOf('\nbootstrap_volume\n')).toBeLessThan(text.indexOf('\nsetup_rundeck\n'));
  });

  it('carries the jobs, compact, in a single-quoted variable that gives them back unchanged', () => {
    const props = sampleUserDataProps();
    const text = renderRundeckUserData(props);
    const line = text.split('\n').find((l) => l.startsWith('readonly RUNDECK_JOBS_YAML='));

    expect(line).toBe(`readonly RUNDECK_JOBS_YAML='${JSON.stringify(JSON.parse(props.jobsYaml))}'`);
  });

  it("carries storestack's launcher, comments left out, in a single-quoted variable that gives it back", () => {
    const text = renderRundeckUserData(sampleUserDataProps());
    const quoted = /^readonly STORESTACK_LAUNCHER='([\s\S]*?)'\n# The jobs/m.exec(text)?.[1] ?? '';
    const launcher = quoted.replaceAll("'\\''", "'");
    const full = renderStorestackLauncher({ packageParameter: PACKAGE_PARAMETER, region: 'eu-west-3' });

    expect(launcher.split('\n')[0]).toBe('#!/bin/bash');
    expect(launcher.split('\n').filter((l) => /^\s*#(?!!|\s*shellcheck )/.test(l))).toEqual([]);
    expect(launcher.split('\n')).toEqual(full.split('\n').filter((l) => launcher.split('\n').includes(l)));
    expect(launcher).toContain(`readonly PACKAGE_PARAMETER='${PACKAGE_PARAMETER}'`);
    expect(text).toContain("readonly STORESTACK_COMMAND='/opt/storestack/bin/storestack'");
  });

  it('fits the 16 KB EC2 allows for user data once compressed, the volume id a CDK token', () => {
    const stack = new Stack();
    const volume = new CfnVolume(stack, 'RundeckData', { availabilityZone: 'eu-west-3a', size: 20 });
    const userData = fitUserData(renderRundeckUserData({ ...sampleUserDataProps(), volumeId: volume.ref }));

    expect(Buffer.byteLength(userData)).toBeLessThan(USER_DATA_LIMIT_BYTES * 0.9);
    expect(JSON.stringify(stack.resolve(userData))).toContain('"Ref":"RundeckData"');
  });

  it('writes a CDK token volume id as text, which CDK then resolves inside the script', () => {
    const stack = new Stack();
    const volume = new CfnVolume(stack, 'RundeckData', { availabilityZone: 'eu-west-3a', size: 20 });

    const text = renderRundeckUserData({ ...sampleUserDataProps(), volumeId: volume.ref });

    expect(text).toContain(`readonly VOLUME_ID='${volume.ref}'`);
    expect(JSON.stringify(stack.resolve(text))).toContain('"Ref":"RundeckData"');
  });

  it('lists every invalid field', () => {
    const props: RundeckUserDataProps = {
      ...sampleUserDataProps(),
      volumeId: 'vol-1',
      internalHostName: 'Rundeck internal',
      region: 'paris',
      projectName: 'client magento',
      adminSecretName: 'rundeck admin',
      jobsYaml: 'jobs: []',
      storestackCommand: 'storestack',
      storestackPackageParameter: 'storestack-package',
      phpPackages: ['php8.3-cli', 'php; reboot'],
      composer: { version: 'latest', sha256: 'abc' },
      repo: { baseUrl: 'http://packages.rundeck.com/x', gpgKeyUrl: "https://x.example.com/'key'" },
      startTimeoutSeconds: 1.5,
    };

    expect(problems(() => renderRundeckUserData(props))).toEqual([
      'volumeId "vol-1" is not an EBS volume id (vol- and 8 or 17 hex digits)',
      'startTimeoutSeconds must be a positive whole number of seconds (got 1.5)',
      'internalHostName "Rundeck internal" is not a lower-case DNS name',
      'region "paris" is not an AWS region',
      'projectName "client magento" must match [A-Za-z0-9_-]+',
      'adminSecretName "rundeck admin" is not a secret name such as storestack/ops/rundeck-admin',
      'jobsYaml must be a JSON list of jobs, as renderRundeckJobs writes it',
      expect.stringContaining('storestackCommand "storestack" must be an absolute plain path'),
      'storestackCommand "storestack" must be <home>/bin/storestack: the packages go in <home>/packages',
      'storestackPackageParameter "storestack-package" is not an SSM parameter path such as /storestack/ops/storestack-package',
      'phpPackages[1] "php; reboot" is not a package name',
      'composer.version "latest" must be a release like 2.8.4',
      'composer.sha256 must be 64 lower-case hex digits',
      'repo.baseUrl "http://packages.rundeck.com/x" must be an https URL',
      `repo.gpgKeyUrl "https://x.example.com/'key'" must be an https URL`,
    ]);
  });
});
