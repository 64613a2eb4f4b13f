import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Stack } from 'aws-cdk-lib';
import { CfnVolume } from 'aws-cdk-lib/aws-ec2';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundleOptions } from '../../../bin/cli-bundle.js';
import {
  cloudWatchAgentConfig,
  type NfsServerUserDataProps,
  renderNfsServerUserData,
} from '../../../src/assets/nfs-server/render.ts';
import { fitUserData, USER_DATA_LIMIT_BYTES } from '../../../src/assets/user-data/compress.ts';
import { PROJECT_ROOT } from '../../support.ts';
import { SAMPLE_CIDRS, SAMPLE_NAMESPACE, sampleProps, sampleShares } from './fixtures.ts';

const SCRIPT_SOURCE = join(PROJECT_ROOT, 'src/assets/nfs-server/setup-nfs-server.sh');
/** The most data volumes the server takes (NfsServer's device letters). */
const MAX_SHARES = 19;

function propsWith(change: (props: { -readonly [K in keyof NfsServerUserDataProps]: unknown }) => void) {
  const props = structuredClone(sampleProps()) as { -readonly [K in keyof NfsServerUserDataProps]: unknown };
  change(props);
  return props as unknown as NfsServerUserDataProps;
}

function shareAt(props: { shares: unknown }, index: number): Record<string, unknown> {
  return (props.shares as Record<string, unknown>[])[index] as Record<string, unknown>;
}

describe('renderNfsServerUserData', () => {
  it('is #!/bin/bash, the config header, then the script body without its own shebang', () => {
    const text = renderNfsServerUserData(sampleProps());
    const body = readFileSync(SCRIPT_SOURCE, 'utf8').replace(/^#!\/bin\/bash\n/, '');

    expect(text.startsWith('#!/bin/bash\n')).toBe(true);
    expect(text.endsWith(body)).toBe(true);
    expect(text.match(/^#!/gm)).toHaveLength(1);
    const header = text.slice(0, text.length - body.length);
    expect(header).toContain(
      [
        'NFS_SHARES=(',
        "  'prod-client-media' 'vol-0a1b2c3d4e5f60711' '/exports/prod/client-media'",
        "  'prod-magento-statics' 'vol-0a1b2c3d4e5f60722' '/exports/prod/magento-statics'",
      ].join('\n'),
    );
    expect(header).toContain("  'preprod-connector-ftp' 'vol-0f9e8d7c6b5a40355' '/exports/preprod/connector-ftp'\n)\n");
    expect(header).toContain("NFS_EXPORT_CIDRS=('10.0.101.0/24' '10.0.102.0/24' '10.0.103.0/24')\n");
    expect(header).toContain('NFS_WAIT_SECONDS=600\n');
    expect(header).toContain(`NFS_AGENT_CONFIG='{"agent":`);
  });

  it("gives the CloudWatch agent each share's mount point, in the shares' order, and the namespace", () => {
    const text = renderNfsServerUserData(sampleProps());
    const header = text.slice(0, text.indexOf('set -euo pipefail'));

    const result = spawnSync('bash', ['-c', `${header}\nprintf '%s' "\${NFS_AGENT_CONFIG}"`], { encoding: 'utf8' });

    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      agent: { metrics_collection_interval: 60, omit_hostname: true },
      metrics: {
        namespace: SAMPLE_NAMESPACE,
        metrics_collected: {
          disk: {
            measurement: ['used_percent'],
            resources: sampleShares().map((share) => share.mountPoint),
            drop_device: true,
          },
        },
        aggregation_dimensions: [['path']],
      },
    });
    expect(result.stdout).toBe(
      cloudWatchAgentConfig(
        sampleShares().map((share) => share.mountPoint),
        SAMPLE_NAMESPACE,
      ),
    );
  });

  it('fits in the 16 KB EC2 allows for user data as it is, and compressed with the most shares the server takes', () => {
    const sample = renderNfsServerUserData(sampleProps());
    const most = renderNfsServerUserData({
      ...sampleProps(),
      shares: Array.from({ length: MAX_SHARES }, (_, index) => ({
        name: `prod-share-${index}`,
        volumeId: `vol-0a1b2c3d4e5f607${String(index).padStart(2, '0')}`,
        mountPoint: `/exports/prod/share-${index}`,
      })),
    });

    expect(fitUserData(sample)).toBe(sample);
    expect(Buffer.byteLength(fitUserData(most))).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
  });

  it('writes a CDK token volume id as text, which CDK then resolves to the volume inside the script', () => {
    const stack = new Stack();
    const volume = new CfnVolume(stack, 'ClientMedia', { availabilityZone: 'eu-west-3a', size: 50 });
    const props = propsWith((p) => {
      shareAt(p, 0).volumeId = volume.ref;
    });

    const text = renderNfsServerUserData(props);
    const resolved = stack.resolve(text) as { 'Fn::Join': [string, unknown[]] };

    expect(volume.ref).toMatch(/^\$\{Token\[/);
    expect(text).toContain(`  'prod-client-media' '${volume.ref}' '/exports/prod/client-media'`);
    const [separator, parts] = resolved['Fn::Join'];
    expect(separator).toBe('');
    expect(parts).toHaveLength(3);
    expect(parts[1]).toEqual({ Ref: 'ClientMedia' });
    expect(String(parts[0]).endsWith("  'prod-client-media' '")).toBe(true);
    expect(String(parts[2]).startsWith("' '/exports/prod/client-media'\n")).toBe(true);
  });

  it('quotes values so that bash reads them back exactly', () => {
    const awkward = `\${Token[It's $(echo injected) \`echo injected\` "x" \\ ;.1]}`;
    const text = renderNfsServerUserData(
      propsWith((p) => {
        shareAt(p, 0).volumeId = awkward;
      }),
    );
    const header = text.slice(0, text.indexOf('NFS_WAIT_SECONDS='));

    const result = spawnSync('bash', ['-c', `${header}\nprintf '%s\\n' "\${NFS_SHARES[@]:0:3}"`], { encoding: 'utf8' });

    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`prod-client-media\n${awkward}\n/exports/prod/client-media\n`);
  });

  describe('finds its script body when bundled like the CLI (esbuild, in node_modules/.cache)', () => {
    let outdir: string;

    beforeAll(() => {
      const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
      mkdirSync(cache, { recursive: true });
      outdir = mkdtempSync(join(cache, 'storestack-nfs-render-test-'));
    });

    afterAll(() => {
      rmSync(outdir, { recursive: true, force: true });
    });

    it('renders the same text from the bundle', async () => {
      const entry = join(outdir, 'entry.ts');
      writeFileSync(
        entry,
        `export { renderNfsServerUserData } from ${JSON.stringify(join(PROJECT_ROOT, 'src/assets/nfs-server/render.ts'))};\n`,
      );
      await build(cliBundleOptions({ root: PROJECT_ROOT, outdir, entryPoints: { run: entry } }));
      const bundled = (await import(pathToFileURL(join(outdir, 'run.mjs')).href)) as {
        renderNfsServerUserData: typeof renderNfsServerUserData;
      };

      expect(bundled.renderNfsServerUserData(sampleProps())).toBe(renderNfsServerUserData(sampleProps()));
    });
  });

  describe('validation', () => {
    it.each<[string, (p: { -readonly [K in keyof NfsServerUserDataProps]: unknown }) => void, RegExp]>([
      [
        'no shares',
        (p) => {
          p.shares = [];
        },
        /shares must list at least one share/,
      ],
      [
        'a share name with capitals',
        (p) => {
          shareAt(p, 1).name = 'Prod-Statics';
        },
        /shares\[1\]\.name "Prod-Statics" must match \[a-z0-9-\]\+/,
      ],
      [
        'a share name with an underscore',
        (p) => {
          shareAt(p, 0).name = 'client_media';
        },
        /shares\[0\]\.name "client_media" must match/,
      ],
      [
        'an empty share name',
        (p) => {
          shareAt(p, 0).name = '';
        },
        /shares\[0\]\.name "" must match/,
      ],
      [
        'a duplicate share name',
        (p) => {
          shareAt(p, 3).name = 'prod-client-media';
        },
        /shares\[3\]\.name "prod-client-media" is already the name of shares\[0\]/,
      ],
      [
        'a volume id that is not one',
        (p) => {
          shareAt(p, 2).volumeId = 'vol_0a1b2c3d';
        },
        /shares\[2\]\.volumeId "vol_0a1b2c3d" is not an EBS volume id/,
      ],
      [
        'a volume id with the wrong number of digits',
        (p) => {
          shareAt(p, 2).volumeId = 'vol-0a1b2c3d4e';
        },
        /shares\[2\]\.volumeId "vol-0a1b2c3d4e" is not an EBS volume id/,
      ],
      [
        'an empty volume id',
        (p) => {
          shareAt(p, 2).volumeId = '';
        },
        /shares\[2\]\.volumeId is empty/,
      ],
      [
        'a volume used by two shares',
        (p) => {
          shareAt(p, 4).volumeId = 'vol-0a1b2c3d4e5f60711';
        },
        /shares\[4\]\.volumeId vol-0a1b2c3d4e5f60711 is already the volume of shares\[0\]/,
      ],
      [
        'a relative mount point',
        (p) => {
          shareAt(p, 0).mountPoint = 'exports/prod/client-media';
        },
        /shares\[0\]\.mountPoint "exports\/prod\/client-media" must be an absolute path/,
      ],
      [
        'a mount point with a space',
        (p) => {
          shareAt(p, 0).mountPoint = '/exports/prod/client media';
        },
        /shares\[0\]\.mountPoint "\/exports\/prod\/client media" must not contain spaces/,
      ],
      [
        'a mount point with a trailing slash',
        (p) => {
          shareAt(p, 0).mountPoint = '/exports/prod/client-media/';
        },
        /shares\[0\]\.mountPoint "\/exports\/prod\/client-media\/" must be a plain path/,
      ],
      [
        'a mount point with a .. part',
        (p) => {
          shareAt(p, 0).mountPoint = '/exports/prod/../client-media';
        },
        /shares\[0\]\.mountPoint "\/exports\/prod\/..\/client-media" must be a plain path/,
      ],
      [
        'a mount point with a quote',
        (p) => {
          shareAt(p, 0).mountPoint = "/exports/prod/client'media";
        },
        /shares\[0\]\.mountPoint .* must be a plain path/,
      ],
      [
        'the root as a mount point',
        (p) => {
          shareAt(p, 0).mountPoint = '/';
        },
        /shares\[0\]\.mountPoint "\/" must be a plain path/,
      ],
      [
        'a duplicate mount point',
        (p) => {
          shareAt(p, 5).mountPoint = '/exports/prod/client-media';
        },
        /shares\[5\]\.mountPoint \/exports\/prod\/client-media is already the mount point of shares\[0\]/,
      ],
      [
        'a mount point inside another',
        (p) => {
          shareAt(p, 1).mountPoint = '/exports/prod/client-media/statics';
        },
        /shares\[1\]\.mountPoint \/exports\/prod\/client-media\/statics is inside shares\[0\]\.mountPoint \/exports\/prod\/client-media/,
      ],
      [
        'no export CIDRs',
        (p) => {
          p.exportCidrs = [];
        },
        /exportCidrs must list at least one CIDR block/,
      ],
      [
        'an export CIDR that is not a block',
        (p) => {
          p.exportCidrs = ['10.0.101.0/24', '10.0.102.0'];
        },
        /exportCidrs\[1\] "10\.0\.102\.0" is not an IPv4 CIDR block/,
      ],
      [
        'an export CIDR with host bits',
        (p) => {
          p.exportCidrs = ['10.0.101.7/24'];
        },
        /exportCidrs\[0\] "10\.0\.101\.7\/24" has host bits set/,
      ],
      [
        'an export CIDR with an export option smuggled in',
        (p) => {
          p.exportCidrs = ['10.0.101.0/24(rw,no_root_squash)'];
        },
        /exportCidrs\[0\] .* is not an IPv4 CIDR block/,
      ],
      [
        'a duplicate export CIDR',
        (p) => {
          p.exportCidrs = ['10.0.101.0/24', '10.0.101.0/24'];
        },
        /exportCidrs\[1\] 10\.0\.101\.0\/24 is listed twice/,
      ],
      [
        'a zero timeout',
        (p) => {
          p.waitTimeoutSeconds = 0;
        },
        /waitTimeoutSeconds must be a positive whole number of seconds \(got 0\)/,
      ],
      [
        'a negative timeout',
        (p) => {
          p.waitTimeoutSeconds = -5;
        },
        /waitTimeoutSeconds must be a positive whole number of seconds \(got -5\)/,
      ],
      [
        'a fractional timeout',
        (p) => {
          p.waitTimeoutSeconds = 2.5;
        },
        /waitTimeoutSeconds must be a positive whole number of seconds \(got 2\.5\)/,
      ],
      [
        'a NaN timeout',
        (p) => {
          p.waitTimeoutSeconds = Number.NaN;
        },
        /waitTimeoutSeconds must be a positive whole number of seconds \(got NaN\)/,
      ],
      [
        'root as the owner of the shares (root_squash would lock the clients out)',
        (p) => {
          p.shareOwner = { uid: 0, gid: 900 };
        },
        /shareOwner\.uid must be a non-root id, a positive whole number \(got 0\)/,
      ],
      [
        'an empty metrics namespace',
        (p) => {
          p.diskMetricsNamespace = '';
        },
        /diskMetricsNamespace "" is not a CloudWatch namespace of your own/,
      ],
      [
        "a metrics namespace under AWS/ (AWS's own)",
        (p) => {
          p.diskMetricsNamespace = 'AWS/EBS';
        },
        /diskMetricsNamespace "AWS\/EBS" is not a CloudWatch namespace of your own/,
      ],
      [
        'a metrics namespace with a quote',
        (p) => {
          p.diskMetricsNamespace = 'storestack/"Nfs"';
        },
        /diskMetricsNamespace .* is not a CloudWatch namespace of your own/,
      ],
      [
        'a metrics namespace longer than 255 characters',
        (p) => {
          p.diskMetricsNamespace = `storestack/${'n'.repeat(250)}`;
        },
        /diskMetricsNamespace .* is not a CloudWatch namespace of your own/,
      ],
    ])('rejects %s', (_case, change, message) => {
      expect(() => renderNfsServerUserData(propsWith(change))).toThrow(message);
    });

    it('lists every invalid field in one error', () => {
      const props = propsWith((p) => {
        shareAt(p, 0).name = 'Bad Name';
        shareAt(p, 1).mountPoint = 'relative';
        p.exportCidrs = [];
        p.waitTimeoutSeconds = 0;
      });

      expect(() => renderNfsServerUserData(props)).toThrow(
        [
          'Invalid NFS server user data:',
          '  - shares[0].name "Bad Name" must match [a-z0-9-]+',
          '  - shares[1].mountPoint "relative" must be an absolute path',
          '  - exportCidrs must list at least one CIDR block',
          '  - waitTimeoutSeconds must be a positive whole number of seconds (got 0)',
        ].join('\n'),
      );
    });

    it('accepts CDK tokens as volume ids and export CIDRs without checking their shape', () => {
      const props = propsWith((p) => {
        shareAt(p, 0).volumeId = `\${Token[TOKEN.123]}`;
        shareAt(p, 1).volumeId = `\${Token[NfsServer.ClientMediaVolume.Ref.456]}`;
        p.exportCidrs = [`\${Token[TOKEN.789]}`, ...SAMPLE_CIDRS];
      });

      expect(() => renderNfsServerUserData(props)).not.toThrow();
    });

    it('still rejects the same token used for two volumes', () => {
      const props = propsWith((p) => {
        shareAt(p, 0).volumeId = `\${Token[TOKEN.123]}`;
        shareAt(p, 1).volumeId = `\${Token[TOKEN.123]}`;
      });

      expect(() => renderNfsServerUserData(props)).toThrow(
        /shares\[1\]\.volumeId .* is already the volume of shares\[0\]/,
      );
    });
  });
});
