import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundleOptions } from '../../../../../bin/cli-bundle.js';
import { envPhpRendererSource } from '../../../../../src/assets/beanstalk/magento/env-php/renderer.ts';
import {
  type MagentoHooksProps,
  renderMagentoHooks,
} from '../../../../../src/assets/beanstalk/magento/hooks/render.ts';
import { PROJECT_ROOT } from '../../../../support.ts';
import { bundleFile, sampleProps } from './fixtures.ts';

const BODIES = join(PROJECT_ROOT, 'src/assets/beanstalk/magento/hooks');

type Mutable = { -readonly [K in keyof MagentoHooksProps]: unknown };

function propsWith(change: (props: Mutable) => void): MagentoHooksProps {
  const props = structuredClone(sampleProps()) as Mutable;
  change(props);
  return props as unknown as MagentoHooksProps;
}

describe('renderMagentoHooks', () => {
  it('gives every bundle the deploy hooks, the env.php renderer and the cron, whatever environment it goes to', () => {
    const files = renderMagentoHooks(sampleProps());

    expect(files.map((file) => [file.path, file.mode.toString(8)])).toEqual([
      ['.platform/hooks/prebuild/10-mount-shares.sh', '755'],
      ['.platform/hooks/prebuild/20-render-env-php.sh', '755'],
      ['.platform/storestack/render-env-php.php', '644'],
      ['.platform/hooks/predeploy/10-permissions.sh', '755'],
      ['.platform/hooks/postdeploy/10-warm-up.sh', '755'],
      ['.platform/hooks/postdeploy/20-install-cron.sh', '755'],
      ['.platform/storestack/magento-cron.sh', '755'],
    ]);
  });

  it('leaves the role to the deploy: the cron hook reads STORESTACK_ROLE, no prop chooses it', () => {
    const hook = bundleFile(renderMagentoHooks(sampleProps()), '.platform/hooks/postdeploy/20-install-cron.sh');

    expect(hook).toContain("ROLE_PROPERTY='STORESTACK_ROLE'");
    expect(hook).toContain('/opt/elasticbeanstalk/bin/get-config');
    expect(renderMagentoHooks({ ...sampleProps(), role: 'frontend' } as unknown as MagentoHooksProps)).toEqual(
      renderMagentoHooks(sampleProps()),
    );
  });

  it('ships the env.php renderer as it is in the project', () => {
    const files = renderMagentoHooks(sampleProps());

    expect(bundleFile(files, '.platform/storestack/render-env-php.php')).toBe(envPhpRendererSource());
  });

  it('makes each script #!/bin/bash, its generated header, then its body without its own shebang', () => {
    const files = renderMagentoHooks(sampleProps());

    for (const [path, body] of [
      ['.platform/hooks/prebuild/10-mount-shares.sh', 'mount-shares.sh'],
      ['.platform/hooks/prebuild/20-render-env-php.sh', 'render-env-php.sh'],
      ['.platform/hooks/predeploy/10-permissions.sh', 'permissions.sh'],
      ['.platform/hooks/postdeploy/10-warm-up.sh', 'warm-up.sh'],
      ['.platform/hooks/postdeploy/20-install-cron.sh', 'install-cron.sh'],
      ['.platform/storestack/magento-cron.sh', 'magento-cron.sh'],
    ] as const) {
      const text = bundleFile(files, path);
      const source = readFileSync(join(BODIES, body), 'utf8').replace(/^#!\/bin\/bash\n/, '');
      expect(text.startsWith('#!/bin/bash\n')).toBe(true);
      expect(text.endsWith(source)).toBe(true);
      expect(text.match(/^#!/gm)).toHaveLength(1);
    }
  });

  it('writes the settings of the mount hook into its header', () => {
    const header = bundleFile(renderMagentoHooks(sampleProps()), '.platform/hooks/prebuild/10-mount-shares.sh');

    expect(header).toContain("MAGENTO_PARAMETER_PATH='/storestack/prod'\n");
    expect(header).toContain("MAGENTO_REGION='eu-west-3'\n");
    expect(header).toContain("MAGENTO_MOUNTS_ROOT='/mnt/storestack'\n");
    expect(header).toContain("MAGENTO_FILE_SYSTEM='nfs-server'\n");
    expect(header).toContain('MAGENTO_MOUNT_TIMEOUT_SECONDS=300\n');
    expect(header).toContain(
      [
        'MAGENTO_MOUNTS=(',
        "  'pub/media' 'client-media'",
        "  'pub/static' 'magento-statics'",
        "  'client' 'magento-client'",
        "  'sitemap' 'magento-sitemap'",
        ')',
      ].join('\n'),
    );
  });

  it('writes the CDN URLs and the admin path into the env.php hook', () => {
    const hook = (props: MagentoHooksProps) =>
      bundleFile(renderMagentoHooks(props), '.platform/hooks/prebuild/20-render-env-php.sh');

    expect(hook(sampleProps())).toContain("MAGENTO_CDN_STATIC_URL='https://static.client.url/'\n");
    expect(hook(sampleProps())).toContain("MAGENTO_CDN_MEDIA_URL='https://media.client.url/'\n");
    expect(hook(sampleProps())).toContain("MAGENTO_ADMIN_FRONTNAME='backend'\n");
    expect(hook(sampleProps({ adminFrontName: 'staff_9f2' }))).toContain("MAGENTO_ADMIN_FRONTNAME='staff_9f2'\n");
  });

  describe('finds its script bodies and the renderer when bundled like the CLI (esbuild, in node_modules/.cache)', () => {
    let outdir: string;

    beforeAll(() => {
      const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
      mkdirSync(cache, { recursive: true });
      outdir = mkdtempSync(join(cache, 'storestack-magento-hooks-test-'));
    });

    afterAll(() => {
      rmSync(outdir, { recursive: true, force: true });
    });

    it('renders the same files from the bundle', async () => {
      const entry = join(outdir, 'entry.ts');
      writeFileSync(entry, `export { renderMagentoHooks } from ${JSON.stringify(join(BODIES, 'render.ts'))};\n`);
      await build(cliBundleOptions({ root: PROJECT_ROOT, outdir, entryPoints: { run: entry } }));
      const bundled = (await import(pathToFileURL(join(outdir, 'run.mjs')).href)) as {
        renderMagentoHooks: typeof renderMagentoHooks;
      };

      expect(bundled.renderMagentoHooks(sampleProps())).toEqual(renderMagentoHooks(sampleProps()));
    });
  });

  describe('validation', () => {
    it.each<[string, (p: Mutable) => void, RegExp]>([
      ['a bad environment', (p) => (p.environment = 'Prod'), /environment "Prod" must match \[a-z0-9-\]\+/],
      [
        'a parameter path that is not a path',
        (p) => (p.parameterPath = 'storestack/prod'),
        /parameterPath "storestack\/prod" must be an SSM path/,
      ],
      [
        "another environment's parameter path",
        (p) => (p.parameterPath = '/storestack/preprod'),
        /parameterPath \/storestack\/preprod must end with the environment's name \(\/prod\)/,
      ],
      ['a bad region', (p) => (p.region = 'paris'), /region "paris" is not an AWS region/],
      [
        'a relative mounts root',
        (p) => (p.mountsRoot = 'mnt/storestack'),
        /mountsRoot "mnt\/storestack" must be a plain absolute path/,
      ],
      [
        'a mounts root that Beanstalk replaces',
        (p) => (p.mountsRoot = '/var/app/current/shares'),
        /mountsRoot \/var\/app\/current\/shares must be outside \/var\/app/,
      ],
      ['no mounts', (p) => (p.mounts = []), /mounts must list at least one mount/],
      [
        'an absolute mount path',
        (p) => (p.mounts = [{ path: '/pub/media', share: 'client-media' }]),
        /mounts\[0\]\.path "\/pub\/media" must be a relative path/,
      ],
      [
        'a mount over the code',
        (p) => (p.mounts = [{ path: 'vendor', share: 'client-media' }]),
        /mounts\[0\]\.path vendor holds Magento's own code/,
      ],
      [
        'a path mounted twice',
        (p) =>
          (p.mounts = [
            { path: 'client', share: 'a' },
            { path: 'client', share: 'b' },
          ]),
        /mounts\[1\]\.path client is already the path of mounts\[0\]/,
      ],
      [
        'a share mounted twice',
        (p) =>
          (p.mounts = [
            { path: 'client', share: 'a' },
            { path: 'sitemap', share: 'a' },
          ]),
        /mounts\[1\]\.share a is already mounted by mounts\[0\]/,
      ],
      [
        'nested mount paths',
        (p) =>
          (p.mounts = [
            { path: 'pub/media', share: 'a' },
            { path: 'pub/media/catalog', share: 'b' },
          ]),
        /mounts\[1\]\.path pub\/media\/catalog is inside mounts\[0\]\.path pub\/media/,
      ],
      [
        'a bad share name',
        (p) => (p.mounts = [{ path: 'client', share: 'Client Share' }]),
        /mounts\[0\]\.share "Client Share" must match/,
      ],
      ['an unknown file system', (p) => (p.fileSystem = 'smb'), /fileSystem "smb" must be nfs-server or efs/],
      [
        'a zero timeout',
        (p) => (p.mountTimeoutSeconds = 0),
        /mountTimeoutSeconds must be a whole number of seconds from 1 to 3600 \(got 0\)/,
      ],
      ['a fractional timeout', (p) => (p.mountTimeoutSeconds = 1.5), /mountTimeoutSeconds must be a whole number/],
      [
        'an http CDN',
        (p) => (p.cdnBaseUrls = { static: 'http://static.client.url/', media: 'https://media.client.url/' }),
        /cdnBaseUrls\.static "http:\/\/static\.client\.url\/" must be an https:\/\/ URL ending with a slash/,
      ],
      [
        'a CDN URL without the final slash',
        (p) => (p.cdnBaseUrls = { static: 'https://static.client.url/', media: 'https://media.client.url' }),
        /cdnBaseUrls\.media "https:\/\/media\.client\.url" must be an https:\/\/ URL ending with a slash/,
      ],
      ['a shared cache prefix', (p) => (p.cachePrefixFromRelease = false), /cachePrefixFromRelease must be true/],
      [
        'a bad admin path',
        (p) => (p.adminFrontName = 'back/end'),
        /adminFrontName "back\/end" must be letters, digits or "_"/,
      ],
      [
        'a cron lock on an unmounted share',
        (p) => (p.cronLockShare = 'connector-ftp'),
        /cronLockShare connector-ftp is not one of the mounted shares/,
      ],
      [
        'no share for the cron lock',
        (p) => (p.mounts = [{ path: 'pub/media', share: 'client-media' }]),
        /cronLockShare is not set and no share is mounted at client/,
      ],
    ])('rejects %s, naming the prop', (_name, change, message) => {
      expect(() => renderMagentoHooks(propsWith(change))).toThrow(message);
    });

    it('lists every invalid prop in one error', () => {
      const props = propsWith((p) => {
        p.region = 'paris';
        p.mountTimeoutSeconds = -1;
      });

      expect(() => renderMagentoHooks(props)).toThrow(
        /Invalid Magento hooks:\n {2}- region .*\n {2}- mountTimeoutSeconds/,
      );
    });
  });
});
