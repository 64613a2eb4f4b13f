// The data volume bootstrap run for real against a sandbox: a fake NVMe device and its udev link,
// the system commands stubbed on PATH (see fixtures.ts), timeouts of a second or two.
import { statSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderVolumeBootstrap } from '../../../src/assets/rundeck/render.ts';
import { ROOT_FSTAB_LINE, VOLUME_ID, VolumeSandbox } from './fixtures.ts';

const EXISTING_UUID = '1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5';

describe('bootstrap-volume.sh with the system commands stubbed', () => {
  let sandbox: VolumeSandbox;
  const script = renderVolumeBootstrap({ name: 'rundeck-data', volumeId: VOLUME_ID, mountPoint: '/var/lib/rundeck' });

  beforeEach(() => {
    sandbox = new VolumeSandbox();
  });

  afterEach(() => {
    sandbox.remove();
  });

  function expectSuccess(result: { status: number | null; stderr: string }): void {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }

  it('formats a blank volume once (xfs), and mounts it by UUID with nofail', async () => {
    const device = sandbox.attach(VOLUME_ID);

    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' });

    expectSuccess(result);
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([`mkfs.xfs -q ${device}`]);
    const uuid = sandbox.filesystems().get(device)?.uuid;
    expect(uuid).toBeDefined();
    expect(sandbox.fstabLines()).toEqual([
      ROOT_FSTAB_LINE,
      `UUID=${uuid} ${sandbox.mountPoint} xfs defaults,nofail 0 2`,
    ]);
    expect(sandbox.callsOf('mount')).toEqual([`mount ${sandbox.mountPoint}`]);
    expect(sandbox.mounts()).toEqual([`${sandbox.mountPoint} ${device} xfs`]);
    expect(sandbox.callsOf('systemctl')).toEqual(['systemctl daemon-reload']);
    expect(result.stdout).toContain(`volume ${VOLUME_ID} (rundeck-data) is ${device}`);
  });

  it.each([
    ['xfs', 'xfs'],
    ['ext4', 'ext4'],
  ])('never formats a volume that already holds a filesystem (%s), and mounts it by its UUID', async (_n, type) => {
    const device = sandbox.attach(VOLUME_ID);
    sandbox.addFilesystem(device, type, EXISTING_UUID);

    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' });

    expectSuccess(result);
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
    expect(sandbox.callsOf('udevadm')).toEqual([]);
    expect(sandbox.fstabLines()).toEqual([
      ROOT_FSTAB_LINE,
      `UUID=${EXISTING_UUID} ${sandbox.mountPoint} ${type} defaults,nofail 0 2`,
    ]);
    expect(sandbox.mounts()).toEqual([`${sandbox.mountPoint} ${device} ${type}`]);
    expect(result.stdout).toContain(`already holds a ${type} filesystem (UUID ${EXISTING_UUID}), keeping it`);
  });

  it('leaves a volume with a partition table alone: fails, formats and mounts nothing', async () => {
    const device = sandbox.attach(VOLUME_ID);
    sandbox.addFilesystem(device, 'gpt', '3f2e1d0c-0000-4000-8000-00000000abcd');

    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${device} (volume ${VOLUME_ID}) holds something other than one filesystem`);
    expect(result.stderr).toContain('PTTYPE=gpt');
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
    expect(sandbox.callsOf('mount')).toEqual([]);
    expect(sandbox.read(sandbox.fstab)).toBe(`${ROOT_FSTAB_LINE}\n`);
  });

  it('is idempotent: a second run formats, mounts and rewrites nothing, and fstab keeps one line for it', async () => {
    sandbox.attach(VOLUME_ID);
    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));
    const fstab = sandbox.read(sandbox.fstab);
    const before = statSync(sandbox.fstab);
    sandbox.clearCalls();

    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' });

    expectSuccess(result);
    expect(sandbox.read(sandbox.fstab)).toBe(fstab);
    expect(statSync(sandbox.fstab).ino).toBe(before.ino);
    expect(statSync(sandbox.fstab).mtimeMs).toBe(before.mtimeMs);
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
    expect(sandbox.callsOf('mount')).toEqual([]);
    expect(sandbox.callsOf('systemctl')).toEqual([]);
    expect(sandbox.mounts()).toHaveLength(1);
    expect(sandbox.fstabLines().filter((line) => line.includes(` ${sandbox.mountPoint} `))).toHaveLength(1);
    expect(result.stdout).toContain(`${sandbox.mountPoint} is already mounted`);
  });

  it('on a new instance (empty fstab, volume not mounted) keeps the data and mounts it again', async () => {
    const device = sandbox.attach(VOLUME_ID);
    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));
    const uuid = sandbox.filesystems().get(device)?.uuid;
    // The instance is replaced: a fresh root volume, the same data volume.
    sandbox.write(sandbox.fstab, `${ROOT_FSTAB_LINE}\n`);
    sandbox.write(`${sandbox.root}/state/mounted`, '');
    sandbox.clearCalls();

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
    expect(sandbox.fstabLines()).toEqual([
      ROOT_FSTAB_LINE,
      `UUID=${uuid} ${sandbox.mountPoint} xfs defaults,nofail 0 2`,
    ]);
    expect(sandbox.callsOf('mount')).toEqual([`mount ${sandbox.mountPoint}`]);
  });

  it('replaces a stale fstab entry for the mount point (a replaced volume) and keeps the other lines', async () => {
    const stale = `UUID=00000000-dead-4bee-8f00-000000000000 ${sandbox.mountPoint} xfs defaults,nofail 0 2`;
    const swap = '/swapfile none swap sw 0 0';
    sandbox.write(sandbox.fstab, [ROOT_FSTAB_LINE, '# a comment', stale, swap, stale, ''].join('\n'));
    const device = sandbox.attach(VOLUME_ID);
    sandbox.addFilesystem(device, 'xfs', EXISTING_UUID);

    expectSuccess(await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' }));

    expect(sandbox.fstabLines()).toEqual([
      ROOT_FSTAB_LINE,
      '# a comment',
      `UUID=${EXISTING_UUID} ${sandbox.mountPoint} xfs defaults,nofail 0 2`,
      swap,
    ]);
  });

  it('refuses a mount point already mounted from another device', async () => {
    const device = sandbox.attach(VOLUME_ID);
    sandbox.addFilesystem(device, 'xfs', EXISTING_UUID);
    sandbox.addMount(sandbox.mountPoint, '/dev/nvme0n1p1', 'xfs');

    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '2' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`is already mounted from /dev/nvme0n1p1, not from volume ${VOLUME_ID}`);
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
    expect(sandbox.callsOf('mount')).toEqual([]);
  });

  it('waits for a volume attached late, then uses it', async () => {
    let device = '';
    let finished = false;
    const attacher = (async () => {
      while (!finished && sandbox.callsOf('sleep').length === 0) await delay(20);
      if (finished) return;
      await delay(500);
      device = sandbox.attach(VOLUME_ID);
    })();

    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '5' });
    finished = true;
    await attacher;

    expectSuccess(result);
    expect(device).not.toBe('');
    expect(sandbox.callsOf('sleep').length).toBeGreaterThan(0);
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([`mkfs.xfs -q ${device}`]);
  });

  it('fails at the timeout naming the volume id when the device never appears, and touches nothing', async () => {
    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '1' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`volume ${VOLUME_ID} (rundeck-data) is not attached after 1 s`);
    expect(result.stderr).toContain(`nvme-Amazon_Elastic_Block_Store_${VOLUME_ID.replace('-', '')}`);
    expect(result.stderr).toContain('nothing was formatted or mounted');
    expect(sandbox.callsOf('blkid')).toEqual([]);
    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
    expect(sandbox.callsOf('mount')).toEqual([]);
    expect(sandbox.read(sandbox.fstab)).toBe(`${ROOT_FSTAB_LINE}\n`);
  });

  it('takes its timeout from the rendered header when the environment does not set one', async () => {
    const oneSecond = renderVolumeBootstrap({
      name: 'rundeck-data',
      volumeId: VOLUME_ID,
      mountPoint: '/var/lib/rundeck',
      waitTimeoutSeconds: 1,
    });

    const result = await sandbox.run(oneSecond);

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`volume ${VOLUME_ID} (rundeck-data) is not attached after 1 s`);
  });

  it('rejects a wait timeout from the environment that is not a whole number', async () => {
    const result = await sandbox.run(script, { STORESTACK_WAIT_SECONDS: '1m' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("the wait timeout must be a whole number of seconds (got '1m')");
    expect(sandbox.calls()).toEqual([]);
  });
});
