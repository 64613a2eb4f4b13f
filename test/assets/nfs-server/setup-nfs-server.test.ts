// The NFS server user data run for real, against a sandbox: fake NVMe devices and udev links,
// the system commands stubbed on PATH (see fixtures.ts), timeouts of a few seconds.
import { statSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NfsShareVolume, renderNfsServerUserData } from '../../../src/assets/nfs-server/render.ts';
import { AGENT, SAMPLE_CIDRS, SAMPLE_NAMESPACE, Sandbox, sampleShares, WEB_USER } from './fixtures.ts';

const ROOT_FSTAB_LINE = 'UUID=8a4c3f0e-1b2d-4e5f-9a8b-7c6d5e4f3a2b / xfs defaults,noatime 1 1';
const EXPORT_OPTIONS = 'rw,sync,no_subtree_check,root_squash,mountpoint';

describe('setup-nfs-server.sh with the system commands stubbed', () => {
  let sandbox: Sandbox;
  let shares: NfsShareVolume[];
  let script: string;

  beforeEach(() => {
    sandbox = new Sandbox();
    shares = sampleShares(sandbox.root);
    script = renderNfsServerUserData({
      shares,
      exportCidrs: SAMPLE_CIDRS,
      waitTimeoutSeconds: 600,
      shareOwner: WEB_USER,
      diskMetricsNamespace: SAMPLE_NAMESPACE,
    });
  });

  afterEach(() => {
    sandbox.remove();
  });

  function share(name: string): NfsShareVolume {
    const found = shares.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`test setup: no share ${name}`);
    return found;
  }

  /** Attaches every share's volume except the ones named; returns share name -> device. */
  function attachAll(except: string[] = []): Map<string, string> {
    return new Map(
      shares.filter((s) => !except.includes(s.name)).map((s) => [s.name, sandbox.attach(s.volumeId)] as const),
    );
  }

  function fstabLines(): string[] {
    return (sandbox.read(sandbox.fstab) ?? '').split('\n').filter(Boolean);
  }

  function expectSuccess(result: { status: number | null; stderr: string }): void {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }

  it('(a) creates an xfs filesystem on a blank volume and mounts it by UUID with nofail', async () => {
    const devices = attachAll();

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    const media = share('prod-client-media');
    const device = devices.get(media.name);
    expect(sandbox.callsOf('mkfs.xfs')).toContain(`mkfs.xfs -q ${device}`);
    const filesystem = sandbox.filesystems().get(device ?? '');
    expect(filesystem?.type).toBe('xfs');
    expect(fstabLines()).toContain(`UUID=${filesystem?.uuid} ${media.mountPoint} xfs defaults,nofail 0 2`);
    expect(sandbox.callsOf('mount')).toContain(`mount ${media.mountPoint}`);
    expect(sandbox.callsOf('mkfs.xfs')).toHaveLength(shares.length);
    expect(fstabLines()).toHaveLength(shares.length + 1);
    expect(fstabLines()[0]).toBe(ROOT_FSTAB_LINE);
    expect(sandbox.callsOf('systemctl')).toEqual(['systemctl daemon-reload', 'systemctl enable --now nfs-server']);
    expect(sandbox.callsOf('exportfs')).toEqual(['exportfs -ra']);
    expect(sandbox.callsOf('dnf')).toEqual([`dnf install -y -q nfs-utils ${AGENT}`]);
  });

  it('gives the root of each freshly formatted share to the web user, group-writable and setgid', async () => {
    attachAll();

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    const media = share('prod-client-media');
    expect(sandbox.callsOf('chown')).toContain(`chown 900:900 ${media.mountPoint}`);
    expect(sandbox.callsOf('chown')).toHaveLength(shares.length);
    expect(statSync(media.mountPoint).mode & 0o7777).toBe(0o2775);
  });

  it('(b) never formats a volume that already holds a filesystem, and mounts it by its UUID', async () => {
    const devices = attachAll();
    const statics = share('prod-magento-statics');
    const device = devices.get(statics.name) ?? '';
    sandbox.addFilesystem(device, 'xfs', '1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5');
    const ftp = share('preprod-connector-ftp');
    sandbox.addFilesystem(devices.get(ftp.name) ?? '', 'ext4', '0c9b8a76-5432-4f10-9e8d-7c6b5a493827');

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    const formatted = sandbox.callsOf('mkfs.xfs');
    // An existing share keeps its owner: only the formatted ones are handed to the web user.
    expect(sandbox.callsOf('chown')).not.toContain(`chown 900:900 ${statics.mountPoint}`);
    expect(sandbox.callsOf('chown')).toHaveLength(shares.length - 2);
    expect(formatted).not.toContain(`mkfs.xfs -q ${device}`);
    expect(formatted).not.toContain(`mkfs.xfs -q ${devices.get(ftp.name)}`);
    expect(formatted).toHaveLength(shares.length - 2);
    expect(fstabLines()).toContain(
      `UUID=1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5 ${statics.mountPoint} xfs defaults,nofail 0 2`,
    );
    expect(fstabLines()).toContain(
      `UUID=0c9b8a76-5432-4f10-9e8d-7c6b5a493827 ${ftp.mountPoint} ext4 defaults,nofail 0 2`,
    );
  });

  it('(c) waits for a volume attached late, then uses it', async () => {
    const late = share('preprod-magento-sitemap');
    attachAll([late.name]);
    let lateDevice = '';
    let finished = false;
    // Attaches the volume a second after the script is seen polling for it.
    const attacher = (async () => {
      while (!finished && sandbox.callsOf('sleep').length === 0) await delay(20);
      if (finished) return;
      await delay(1000);
      lateDevice = sandbox.attach(late.volumeId);
    })();

    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '3' });
    finished = true;
    await attacher;

    expectSuccess(result);
    expect(lateDevice).not.toBe('');
    const calls = sandbox.calls();
    const firstSleep = calls.findIndex((call) => call.startsWith('sleep '));
    const probed = calls.indexOf(`blkid -p -o export ${lateDevice}`);
    expect(firstSleep).toBeGreaterThanOrEqual(0);
    expect(probed).toBeGreaterThan(firstSleep);
    expect(sandbox.callsOf('mkfs.xfs')).toContain(`mkfs.xfs -q ${lateDevice}`);
    expect(sandbox.callsOf('mount')).toContain(`mount ${late.mountPoint}`);
    expect(result.stdout).toContain(`share ${late.name}: volume ${late.volumeId} is ${lateDevice}`);
  });

  it('(d) fails at the timeout naming the share and the volume that are missing, and formats nothing', async () => {
    const missing = share('prod-magento-client');
    attachAll([missing.name]);

    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '1' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`share ${missing.name}: volume ${missing.volumeId} is not attached after 1 s`);
    expect(result.stderr).toMatch(/1 volume\(s\) missing; nothing was formatted or mounted/);
    expect(sandbox.callsOf('blkid')).toEqual([]);
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
    expect(sandbox.callsOf('mount')).toEqual([]);
    expect(sandbox.read(sandbox.fstab)).toBe(`${ROOT_FSTAB_LINE}\n`);
    expect(sandbox.read(sandbox.exports)).toBeUndefined();
    expect(sandbox.callsOf('systemctl')).toEqual([]);
  });

  it('(d) takes its timeout from the rendered header when the environment does not set one', async () => {
    attachAll(['preprod-client-media', 'prod-connector-ftp']);
    const oneSecond = renderNfsServerUserData({
      shares,
      exportCidrs: SAMPLE_CIDRS,
      waitTimeoutSeconds: 1,
      shareOwner: WEB_USER,
      diskMetricsNamespace: SAMPLE_NAMESPACE,
    });

    const result = await sandbox.run(oneSecond);

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`share preprod-client-media: volume ${share('preprod-client-media').volumeId}`);
    expect(result.stderr).toContain(`share prod-connector-ftp: volume ${share('prod-connector-ftp').volumeId}`);
    expect(result.stderr).toContain('2 volume(s) missing');
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
  });

  it('(e) changes nothing when run a second time', async () => {
    attachAll();
    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));
    const fstab = sandbox.read(sandbox.fstab);
    const exports = sandbox.read(sandbox.exports);
    const fstabStat = statSync(sandbox.fstab);
    const exportsStat = statSync(sandbox.exports);
    const callsAfterFirstRun = sandbox.calls().length;

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    expect(sandbox.read(sandbox.fstab)).toBe(fstab);
    expect(sandbox.read(sandbox.exports)).toBe(exports);
    // Not even rewritten with the same content.
    expect(statSync(sandbox.fstab).ino).toBe(fstabStat.ino);
    expect(statSync(sandbox.fstab).mtimeMs).toBe(fstabStat.mtimeMs);
    expect(statSync(sandbox.exports).ino).toBe(exportsStat.ino);
    expect(statSync(sandbox.exports).mtimeMs).toBe(exportsStat.mtimeMs);
    const secondRun = sandbox.calls().slice(callsAfterFirstRun);
    const ran = (name: string) => secondRun.filter((call) => call.startsWith(`${name} `));
    expect(ran('mkfs.xfs')).toEqual([]);
    expect(ran('mount')).toEqual([]);
    expect(ran('dnf')).toEqual([]);
    expect(ran('systemctl')).toEqual(['systemctl enable --now nfs-server', `systemctl is-active --quiet ${AGENT}`]);
    expect(ran('exportfs')).toEqual(['exportfs -ra']);
    expect(ran('amazon-cloudwatch-agent-ctl')).toEqual([]);
    const mountPoints = fstabLines().map((line) => line.split(' ')[1]);
    expect(new Set(mountPoints).size).toBe(mountPoints.length);
  });

  it('(f) exports each share to the client CIDR blocks only', async () => {
    attachAll();

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    const clients = SAMPLE_CIDRS.map((cidr) => `${cidr}(${EXPORT_OPTIONS})`).join(' ');
    expect(sandbox.read(sandbox.exports)).toBe(
      [
        '# Written by the storestack NFS server user data: edits are overwritten.',
        ...shares.map((s) => `${s.mountPoint} ${clients}`),
        '',
      ].join('\n'),
    );
    expect(sandbox.read(sandbox.exports)).toContain(
      `${sandbox.root}/exports/prod/client-media 10.0.101.0/24(${EXPORT_OPTIONS}) 10.0.102.0/24(${EXPORT_OPTIONS}) 10.0.103.0/24(${EXPORT_OPTIONS})\n`,
    );
  });

  it('leaves a volume with a partition table alone and fails before formatting any volume', async () => {
    const devices = attachAll();
    const media = share('preprod-client-media');
    const device = devices.get(media.name) ?? '';
    sandbox.addFilesystem(device, 'gpt', '3f2e1d0c-0000-4000-8000-00000000abcd');

    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${device} holds something other than one filesystem`);
    expect(result.stderr).toContain('PTTYPE=gpt');
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
    expect(sandbox.read(sandbox.fstab)).toBe(`${ROOT_FSTAB_LINE}\n`);
  });

  it('keeps the other fstab lines and replaces a stale entry for a share (a replaced volume)', async () => {
    const media = share('prod-client-media');
    const stale = `UUID=00000000-dead-4bee-8f00-000000000000 ${media.mountPoint} xfs defaults,nofail 0 2`;
    const swap = '/swapfile none swap sw 0 0';
    const initial = [ROOT_FSTAB_LINE, '# a comment', stale, swap, stale, ''].join('\n');
    writeFileSync(sandbox.fstab, initial);
    const devices = attachAll();

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    const uuid = sandbox.filesystems().get(devices.get(media.name) ?? '')?.uuid;
    const lines = fstabLines();
    expect(lines.slice(0, 4)).toEqual([
      ROOT_FSTAB_LINE,
      '# a comment',
      `UUID=${uuid} ${media.mountPoint} xfs defaults,nofail 0 2`,
      swap,
    ]);
    expect(lines.filter((line) => line.includes(` ${media.mountPoint} `))).toHaveLength(1);
  });

  it('installs only the packages that are missing', async () => {
    sandbox.install('nfs-utils');
    attachAll();

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    expect(sandbox.callsOf('rpm')).toEqual(['rpm -q --quiet nfs-utils', `rpm -q --quiet ${AGENT}`]);
    expect(sandbox.callsOf('dnf')).toEqual([`dnf install -y -q ${AGENT}`]);
  });

  it('installs nothing when nfs-utils and the CloudWatch agent are already installed', async () => {
    sandbox.install('nfs-utils');
    sandbox.install(AGENT);
    attachAll();

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    expect(sandbox.callsOf('dnf')).toEqual([]);
  });

  describe('the CloudWatch agent', () => {
    const FETCH_CONFIG = () => `amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${sandbox.agentConfig}`;

    function writtenConfig(): Record<string, unknown> {
      return JSON.parse(sandbox.read(sandbox.agentConfig) ?? 'null');
    }

    it("writes a valid JSON configuration: each share's used percentage, every 60 s, by mount point alone", async () => {
      attachAll();

      expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

      expect(writtenConfig()).toEqual({
        agent: { metrics_collection_interval: 60, omit_hostname: true },
        metrics: {
          namespace: SAMPLE_NAMESPACE,
          metrics_collected: {
            disk: { measurement: ['used_percent'], resources: shares.map((s) => s.mountPoint), drop_device: true },
          },
          aggregation_dimensions: [['path']],
        },
      });
      // Nothing the agent would add as a dimension besides path (and fstype, rolled up).
      expect(sandbox.read(sandbox.agentConfig)).not.toContain('append_dimensions');
      expect(statSync(sandbox.agentConfig).mode & 0o777).toBe(0o644);
    });

    it('installs the agent and starts it once, with that file, after the shares are mounted and exported', async () => {
      attachAll();

      const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' });

      expectSuccess(result);
      expect(sandbox.read(`${sandbox.state}/installed`)).toContain(`${AGENT}\n`);
      expect(sandbox.callsOf('amazon-cloudwatch-agent-ctl')).toEqual([FETCH_CONFIG()]);
      expect(sandbox.loadedAgentConfig()).toBe(sandbox.read(sandbox.agentConfig));
      expect(sandbox.activeUnits()).toEqual(['nfs-server', AGENT]);
      const calls = sandbox.calls();
      const started = calls.indexOf(FETCH_CONFIG());
      const lastMount = calls.findLastIndex((call) => call.startsWith('mount '));
      expect(lastMount).toBeGreaterThanOrEqual(0);
      expect(started).toBeGreaterThan(lastMount);
      expect(started).toBeGreaterThan(calls.indexOf('exportfs -ra'));
      expect(result.stdout).toContain(`storestack-nfs: starting the CloudWatch agent with ${sandbox.agentConfig}`);
    });

    it('neither reinstalls nor restarts it, nor rewrites its configuration, on a second run', async () => {
      attachAll();
      expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));
      const before = statSync(sandbox.agentConfig);
      sandbox.clearCalls();

      expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

      expect(sandbox.callsOf('dnf')).toEqual([]);
      expect(sandbox.callsOf('amazon-cloudwatch-agent-ctl')).toEqual([]);
      expect(sandbox.callsOf('systemctl')).toContain(`systemctl is-active --quiet ${AGENT}`);
      expect(statSync(sandbox.agentConfig).ino).toBe(before.ino);
      expect(statSync(sandbox.agentConfig).mtimeMs).toBe(before.mtimeMs);
    });

    it('starts it again when it is not running, without rewriting its configuration', async () => {
      attachAll();
      expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));
      const before = statSync(sandbox.agentConfig);
      sandbox.stopUnit(AGENT);
      sandbox.clearCalls();

      expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

      expect(sandbox.callsOf('amazon-cloudwatch-agent-ctl')).toEqual([FETCH_CONFIG()]);
      expect(sandbox.activeUnits()).toContain(AGENT);
      expect(statSync(sandbox.agentConfig).mtimeMs).toBe(before.mtimeMs);
    });

    it('replaces a configuration that differs and restarts the agent with it', async () => {
      attachAll();
      expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));
      const expected = sandbox.read(sandbox.agentConfig);
      sandbox.write(sandbox.agentConfig, '{"metrics": {"namespace": "CWAgent"}}\n');
      sandbox.clearCalls();

      const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' });

      expectSuccess(result);
      expect(sandbox.read(sandbox.agentConfig)).toBe(expected);
      expect(sandbox.callsOf('amazon-cloudwatch-agent-ctl')).toEqual([FETCH_CONFIG()]);
      expect(sandbox.loadedAgentConfig()).toBe(expected);
      expect(result.stdout).toContain(`storestack-nfs: ${sandbox.agentConfig} updated`);
    });

    it('fails when the agent rejects its configuration, with the shares already served, and retries at the next run', async () => {
      attachAll();
      sandbox.failAgent(true);

      const failed = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' });

      expect(failed.status).not.toBe(0);
      expect(failed.stderr).toContain('Configuration validation first phase failed');
      expect(sandbox.callsOf('exportfs')).toEqual(['exportfs -ra']);
      expect(sandbox.activeUnits()).toEqual(['nfs-server']);

      sandbox.failAgent(false);
      sandbox.clearCalls();
      expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

      expect(sandbox.callsOf('amazon-cloudwatch-agent-ctl')).toEqual([FETCH_CONFIG()]);
      expect(sandbox.activeUnits()).toEqual(['nfs-server', AGENT]);
    });
  });

  it('rejects a wait timeout from the environment that is not a whole number', async () => {
    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '1m' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("the wait timeout must be a whole number of seconds (got '1m')");
    expect(sandbox.calls()).toEqual([]);
  });
});
