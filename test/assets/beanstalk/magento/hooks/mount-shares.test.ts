// The prebuild hook 10-mount-shares.sh run for real against a sandbox: a staged release, the
// system commands stubbed on PATH (see fixtures.ts), timeouts of a few seconds.
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MagentoHooksProps } from '../../../../../src/assets/beanstalk/magento/hooks/render.ts';
import { renderedHook, SAMPLE_SHARES, Sandbox, sampleSource } from './fixtures.ts';

const HOOK = '.platform/hooks/prebuild/10-mount-shares.sh';
const NFS_OPTIONS = 'nfsvers=4.1,hard,timeo=600,retrans=2,noresvport';
const ROOT_FSTAB_LINE = 'UUID=8a4c3f0e-1b2d-4e5f-9a8b-7c6d5e4f3a2b / xfs defaults,noatime 1 1';
const LINKED = {
  'pub/media': 'client-media',
  'pub/static': 'magento-statics',
  client: 'magento-client',
  sitemap: 'magento-sitemap',
};

describe('10-mount-shares.sh with the system commands stubbed', () => {
  let sandbox: Sandbox;

  beforeEach(() => {
    sandbox = new Sandbox();
    // What a bundle ships at the mount paths: Magento's placeholders and the build's statics.
    sandbox.write(join(sandbox.release, 'pub/media/.htaccess'), 'Options -Indexes\n');
    sandbox.write(join(sandbox.release, 'pub/static/.htaccess'), 'Options -MultiViews\n');
    sandbox.write(join(sandbox.release, 'pub/static/deployed_version.txt'), '1767225600');
    sandbox.write(join(sandbox.release, 'pub/static/frontend/Client/dlm/fr_FR/css/styles-m.css'), 'body{}');
    sandbox.write(join(sandbox.release, 'client/.gitkeep'), '');
    sandbox.write(join(sandbox.release, 'pub/index.php'), '<?php\n');
  });

  afterEach(() => {
    sandbox.remove();
  });

  function publishSources(fileSystem: 'nfs-server' | 'efs' = 'nfs-server'): void {
    for (const share of SAMPLE_SHARES) {
      sandbox.setParameter(`/storestack/prod/shares/${share}`, sampleSource(share, fileSystem));
    }
  }

  function run(change: Partial<MagentoHooksProps> = {}, env: Record<string, string> = {}) {
    return sandbox.run(renderedHook(HOOK, change), {
      STORESTACK_RELEASE_DIR: sandbox.release,
      STORESTACK_MOUNTS_ROOT: sandbox.mountsRoot,
      STORESTACK_FSTAB: sandbox.fstab,
      STORESTACK_MOUNT_STATE_DIR: sandbox.mountState,
      STORESTACK_POLL_SECONDS: '0.1',
      ...env,
    });
  }

  function mountPoint(share: string): string {
    return join(sandbox.mountsRoot, share);
  }

  function fstabLines(): string[] {
    return (sandbox.read(sandbox.fstab) ?? '').split('\n').filter(Boolean);
  }

  function expectSuccess(result: { status: number | null; stderr: string }): void {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }

  it('first run: mounts every share over NFSv4.1 at its stable mount point', async () => {
    publishSources();

    expectSuccess(await run());

    for (const share of SAMPLE_SHARES) {
      expect(sandbox.callsOf('mount')).toContain(
        `mount -t nfs4 -o ${NFS_OPTIONS} nfs.internal-client.url:/exports/prod/${share} ${mountPoint(share)}`,
      );
      expect(sandbox.callsOf('aws')).toContain(
        `aws ssm get-parameter --region eu-west-3 --name /storestack/prod/shares/${share} --query Parameter.Value --output text`,
      );
      expect(sandbox.mounted().get(mountPoint(share))).toBe(sampleSource(share));
    }
    expect(sandbox.callsOf('mount')).toHaveLength(SAMPLE_SHARES.length);
    expect(sandbox.callsOf('dnf')).toEqual(['dnf install -y -q nfs-utils']);
  });

  it('first run: replaces each mount path of the release by a link to its share, dropping what the bundle shipped', async () => {
    publishSources();

    expectSuccess(await run());

    for (const [path, share] of Object.entries(LINKED)) {
      const link = join(sandbox.release, path);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(mountPoint(share));
    }
    // The release's own files beside the links are untouched.
    expect(sandbox.read(join(sandbox.release, 'pub/index.php'))).toBe('<?php\n');
    expect(readdirSync(join(sandbox.release, 'pub')).sort()).toEqual(['index.php', 'media', 'static']);
  });

  it('first run: guards each empty mount point and adds the shares to fstab for reboots', async () => {
    publishSources();

    expectSuccess(await run());

    for (const share of SAMPLE_SHARES) {
      expect(sandbox.callsOf('chattr')).toContain(`chattr +i ${mountPoint(share)}`);
      expect(fstabLines()).toContain(
        `${sampleSource(share)} ${mountPoint(share)} nfs4 ${NFS_OPTIONS},_netdev,nofail 0 0`,
      );
    }
    expect(fstabLines()[0]).toBe(ROOT_FSTAB_LINE);
    expect(fstabLines()).toHaveLength(SAMPLE_SHARES.length + 1);
    expect(sandbox.callsOf('systemctl')).toEqual(['systemctl daemon-reload']);
  });

  it('a second run changes nothing: no mount, no fstab write, the same links', async () => {
    publishSources();
    expectSuccess(await run());
    const fstab = statSync(sandbox.fstab);
    const links = Object.keys(LINKED).map((path) => lstatSync(join(sandbox.release, path)));
    sandbox.clearCalls();

    const second = await run();

    expectSuccess(second);
    expect(sandbox.callsOf('mount')).toEqual([]);
    expect(sandbox.callsOf('chattr')).toEqual([]);
    expect(sandbox.callsOf('systemctl')).toEqual([]);
    expect(sandbox.callsOf('dnf')).toEqual([]);
    expect(statSync(sandbox.fstab).mtimeMs).toBe(fstab.mtimeMs);
    Object.keys(LINKED).forEach((path, index) => {
      const link = lstatSync(join(sandbox.release, path));
      expect(link.ino).toBe(links[index]?.ino);
      expect(link.mtimeMs).toBe(links[index]?.mtimeMs);
    });
    expect(second.stdout).toContain(`share client-media: already mounted from ${sampleSource('client-media')}`);
  });

  it('links a new release to shares mounted by an earlier deploy, without mounting again', async () => {
    publishSources();
    expectSuccess(await run());
    // The next deploy stages a fresh bundle.
    sandbox.write(join(sandbox.release, 'pub/static/deployed_version.txt'), '1767312000');
    sandbox.clearCalls();

    expectSuccess(await run());

    expect(sandbox.callsOf('mount')).toEqual([]);
    expect(readlinkSync(join(sandbox.release, 'pub/static'))).toBe(mountPoint('magento-statics'));
  });

  it('retries a share that does not answer yet, then mounts it', async () => {
    publishSources();
    sandbox.failMount(sampleSource('magento-sitemap'), 2);

    const result = await run();

    expectSuccess(result);
    const attempts = sandbox.callsOf('mount').filter((call) => call.includes('magento-sitemap'));
    expect(attempts).toHaveLength(3);
    expect(result.stdout).toContain('share magento-sitemap: mounting');
    expect(result.stdout).toContain('retrying');
    expect(sandbox.mounted().get(mountPoint('magento-sitemap'))).toBe(sampleSource('magento-sitemap'));
  });

  it('fails within the timeout, naming the share and its source, when a mount keeps failing', async () => {
    publishSources();
    sandbox.failMount(sampleSource('magento-client'), 'always');

    const result = await run({ mountTimeoutSeconds: 2 });

    expect(result.status).not.toBe(0);
    expect(result.elapsedMs).toBeLessThan(6000);
    expect(result.stderr).toMatch(
      /ERROR: share magento-client: cannot mount nfs\.internal-client\.url:\/exports\/prod\/magento-client at \S+\/magento-client within 2 s \(\d+ attempts\); last error: mount\.nfs4: Connection timed out/,
    );
    expect(sandbox.callsOf('mount').filter((call) => call.includes('magento-client')).length).toBeGreaterThan(1);
    // The release is left as the bundle shipped it: the deploy stops here.
    expect(lstatSync(join(sandbox.release, 'client')).isDirectory()).toBe(true);
  });

  it('cuts off a mount that never returns, and still fails within the timeout', async () => {
    publishSources();
    sandbox.hangMount(sampleSource('client-media'));

    const result = await run({ mountTimeoutSeconds: 2 });

    expect(result.status).not.toBe(0);
    expect(result.elapsedMs).toBeLessThan(8000);
    expect(result.stderr).toContain(
      'share client-media: cannot mount nfs.internal-client.url:/exports/prod/client-media',
    );
    expect(result.stderr).toMatch(/last error: no answer within [\d.]+ s/);
  });

  it('fails before mounting anything when a share has no mount source in SSM', async () => {
    for (const share of SAMPLE_SHARES.filter((s) => s !== 'magento-sitemap')) {
      sandbox.setParameter(`/storestack/prod/shares/${share}`, sampleSource(share));
    }

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'share magento-sitemap: cannot read its mount source from the SSM parameter /storestack/prod/shares/magento-sitemap',
    );
    expect(result.stderr).toContain('ParameterNotFound');
    expect(sandbox.callsOf('mount')).toEqual([]);
  });

  it.each([
    ['nfs-server', 'fs-0123456789abcdef0:fsap-0a1b2c3d4e5f60700', /not an NFS mount source \(host:\/path\)/],
    ['efs', 'nfs.internal-client.url:/exports/prod/client-media', /not an EFS mount source \(fs-\.\.\.:fsap-\.\.\.\)/],
  ] as const)('with %s, refuses a mount source of the other kind', async (fileSystem, source, message) => {
    publishSources(fileSystem);
    sandbox.setParameter('/storestack/prod/shares/client-media', source);

    const result = await run({ fileSystem });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('share client-media');
    expect(sandbox.callsOf('mount')).toEqual([]);
  });

  it('refuses a mount point that is mounted from another source, and says how to fix it', async () => {
    publishSources();
    sandbox.addMount(mountPoint('client-media'), 'old-nfs.internal-client.url:/exports/prod/client-media', 'nfs4');

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `share client-media: ${mountPoint('client-media')} is already mounted from old-nfs.internal-client.url:/exports/prod/client-media`,
    );
    expect(result.stderr).toContain(`umount ${mountPoint('client-media')}`);
  });

  it('fails, naming the share, when a mounted share does not answer (its server is gone)', async () => {
    publishSources();
    sandbox.addMount(mountPoint('client-media'), sampleSource('client-media'), 'nfs4');
    sandbox.hangMountPoint(mountPoint('client-media'));

    const result = await run({}, { STORESTACK_PROBE_SECONDS: '1' });

    expect(result.status).not.toBe(0);
    expect(result.elapsedMs).toBeLessThan(6000);
    expect(result.stderr).toContain(
      `share client-media: ${mountPoint('client-media')} is mounted but does not answer within 1 s; is its file server up?`,
    );
  });

  it('adopts an NFS share mounted from the right source before the hook recorded it (an fstab mount at boot)', async () => {
    publishSources();
    sandbox.addMount(mountPoint('client-media'), sampleSource('client-media'), 'nfs4');

    expectSuccess(await run());

    expect(sandbox.callsOf('mount').filter((call) => call.includes('client-media'))).toEqual([]);
    expect(sandbox.read(join(sandbox.mountState, 'client-media'))).toBe(`${sampleSource('client-media')}\n`);
  });

  describe('with EFS', () => {
    it('mounts each access point with efs-utils, TLS and the instance role (iam), and adds efs entries to fstab', async () => {
      publishSources('efs');

      expectSuccess(await run({ fileSystem: 'efs' }));

      for (const share of SAMPLE_SHARES) {
        const [fileSystem, accessPoint] = sampleSource(share, 'efs').split(':');
        expect(sandbox.callsOf('mount')).toContain(
          `mount -t efs -o tls,iam,accesspoint=${accessPoint} ${fileSystem}:/ ${mountPoint(share)}`,
        );
        expect(fstabLines()).toContain(
          `${fileSystem}:/ ${mountPoint(share)} efs tls,iam,accesspoint=${accessPoint},_netdev,nofail 0 0`,
        );
      }
      expect(sandbox.callsOf('dnf')).toEqual(['dnf install -y -q amazon-efs-utils']);
    });

    it('a second run changes nothing, although findmnt only shows the TLS tunnel (127.0.0.1:/)', async () => {
      publishSources('efs');
      expectSuccess(await run({ fileSystem: 'efs' }));
      sandbox.clearCalls();

      expectSuccess(await run({ fileSystem: 'efs' }));

      expect(sandbox.callsOf('mount')).toEqual([]);
    });
  });

  it('takes its timeout from the rendered header when the environment does not set one', async () => {
    publishSources();
    sandbox.failMount(sampleSource('client-media'), 'always');

    const result = await run({ mountTimeoutSeconds: 1 });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('within 1 s');
  });
});
