// The postdeploy hook 30-ftp.sh run for real against a sandbox: a live release holding the
// bundle's files, the system commands stubbed on PATH (see fixtures.ts), timeouts of a few seconds.
import { lstatSync, mkdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorFtpProps } from '../../../../src/assets/beanstalk/connector-ftp/render.ts';
import { VSFTPD_PASV_ADDRESS_PLACEHOLDER } from '../../../../src/assets/beanstalk/connector-ftp/vsftpd.ts';
import {
  EFS_SOURCE,
  GATEWAY_IP,
  GATEWAY_IP_PARAMETER,
  NFS_SOURCE,
  PASSWORD,
  Sandbox,
  SECRET_ARN,
  SECRET_ARN_PARAMETER,
  SECRET_VERSION,
  SHARE_PARAMETER,
} from './fixtures.ts';

const NFS_OPTIONS = 'nfsvers=4.1,hard,timeo=600,retrans=2,noresvport';
// What changes the instance. A second run must call none of them. (The hook's look for
// directories to fix, runuser ... find, runs every time; the tests check it changed nothing.)
const MUTATING = ['dnf', 'mount', 'chattr', 'useradd', 'usermod', 'chpasswd', 'chown'];
const SYSTEMCTL_CHANGES = /^systemctl (daemon-reload|enable|restart|start|stop)/;
const RUNUSER_CHANGES = /^runuser -u \S+ -- (?!find )/;

describe('30-ftp.sh with the system commands stubbed', () => {
  let sandbox: Sandbox;

  beforeEach(() => {
    sandbox = new Sandbox();
  });

  afterEach(() => {
    sandbox.remove();
  });

  function run(change: Partial<ConnectorFtpProps> = {}, env: Record<string, string> = {}) {
    return sandbox.run(sandbox.deploy(change), env);
  }

  function expectSuccess(result: { status: number | null; stderr: string }): void {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }

  function mutatingCalls(): string[] {
    return sandbox
      .calls()
      .filter(
        (call) =>
          MUTATING.includes(call.split(' ')[0] ?? '') || SYSTEMCTL_CHANGES.test(call) || RUNUSER_CHANGES.test(call),
      );
  }

  it('first run: installs vsftpd and the NFS client, mounts the share over NFSv4.1 and adds it to fstab', async () => {
    sandbox.publish();

    expectSuccess(await run());

    expect(sandbox.callsOf('dnf')).toEqual(['dnf install -y -q vsftpd nfs-utils']);
    expect(sandbox.callsOf('mount')).toEqual([`mount -t nfs4 -o ${NFS_OPTIONS} ${NFS_SOURCE} ${sandbox.mountPoint}`]);
    expect(sandbox.mounted().get(sandbox.mountPoint)).toBe(NFS_SOURCE);
    expect(sandbox.callsOf('chattr')).toEqual([`chattr +i ${sandbox.mountPoint}`]);
    expect(sandbox.read(sandbox.fstab)?.split('\n')).toContain(
      `${NFS_SOURCE} ${sandbox.mountPoint} nfs4 ${NFS_OPTIONS},_netdev,nofail 0 0`,
    );
    expect(sandbox.callsOf('aws')).toContain(
      `aws ssm get-parameter --region eu-west-3 --name ${SHARE_PARAMETER} --query Parameter.Value --output text`,
    );
  });

  it('first run: creates the FTP user without a shell, at home in the FTP root, in the web user group', async () => {
    sandbox.publish();

    expectSuccess(await run());

    expect(sandbox.callsOf('useradd')).toEqual([
      `useradd --gid webapp --home-dir ${sandbox.mountPoint} --no-create-home --shell /sbin/nologin --comment storestack connector FTP ftpconnector`,
    ]);
    const [, , , gid, , home, shell] = sandbox.user('ftpconnector')?.split(':') ?? [];
    expect([gid, home, shell]).toEqual([String(process.getgid?.()), sandbox.mountPoint, '/sbin/nologin']);
  });

  it('sets the password through chpasswd standard input: never on a command line, never in the output', async () => {
    sandbox.publish();

    const result = await run();

    expectSuccess(result);
    expect(sandbox.callsOf('chpasswd')).toEqual(['chpasswd']);
    expect(sandbox.chpasswdInput()).toBe(`ftpconnector:${PASSWORD}\n`);
    for (const text of [sandbox.callLog(), result.stdout, result.stderr]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('pa$$');
    }
    expect(sandbox.read(join(sandbox.stateDir, 'password-version'))).toBe(`${SECRET_VERSION}\n`);
    expect(statSync(join(sandbox.stateDir, 'password-version')).mode & 0o777).toBe(0o600);
  });

  it('first run: gives the FTP root mode 2775 as the web user, and links the upload directory to it', async () => {
    sandbox.publish();

    expectSuccess(await run());

    expect(statSync(sandbox.mountPoint).mode & 0o7777).toBe(0o2775);
    expect(sandbox.callsOf('runuser')).toContain(`runuser -u webapp -- chmod 2775 ${sandbox.mountPoint}`);
    // Owned by the web user already (the sandbox's owner stands for it): no chown of the share.
    expect(sandbox.callsOf('chown').filter((call) => call.endsWith(` ${sandbox.mountPoint}`))).toEqual([]);
    const link = join(sandbox.release, 'ftp');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(sandbox.mountPoint);
    expect(sandbox.callsOf('chown')).toContain(`chown -h webapp:webapp ${link}`);
  });

  it("first run: writes vsftpd's config with the gateway's IP, the user list, the PAM service and the drop-in", async () => {
    sandbox.publish();

    expectSuccess(await run());

    const config = sandbox.read(sandbox.vsftpdConfig) ?? '';
    expect(config).toContain(`pasv_address=${GATEWAY_IP}\n`);
    expect(config).not.toContain(VSFTPD_PASV_ADDRESS_PLACEHOLDER);
    expect(config).toContain(`local_root=${sandbox.mountPoint}\n`);
    expect(config).toContain('pasv_min_port=30000\npasv_max_port=30009\n');
    expect(sandbox.read(sandbox.userlist)).toBe('ftpconnector\n');
    expect(sandbox.read(join(sandbox.pamDir, 'storestack-vsftpd'))).toContain('pam_listfile.so item=user sense=allow');
    expect(sandbox.read(join(sandbox.systemdDir, 'vsftpd.service.d/storestack.conf'))).toContain(
      `RequiresMountsFor=${sandbox.mountPoint}`,
    );
    for (const file of [sandbox.vsftpdConfig, sandbox.userlist, join(sandbox.pamDir, 'storestack-vsftpd')]) {
      expect(statSync(file).mode & 0o777).toBe(0o644);
    }
    expect(sandbox.callsOf('aws')).toContain(
      `aws ssm get-parameter --region eu-west-3 --name ${GATEWAY_IP_PARAMETER} --query Parameter.Value --output text`,
    );
  });

  it('first run: reloads systemd, enables and restarts vsftpd', async () => {
    sandbox.publish();

    expectSuccess(await run());

    expect(sandbox.callsOf('systemctl').filter((call) => SYSTEMCTL_CHANGES.test(call))).toEqual([
      'systemctl daemon-reload',
      'systemctl daemon-reload',
      'systemctl enable vsftpd',
      'systemctl restart vsftpd',
    ]);
    expect(sandbox.isEnabled('vsftpd')).toBe(true);
    expect(sandbox.isActive('vsftpd')).toBe(true);
  });

  it('a second run changes nothing: no install, mount, account, password, file or service change', async () => {
    sandbox.publish();
    const hook = sandbox.deploy();
    expectSuccess(await sandbox.run(hook));
    const files = [
      sandbox.fstab,
      sandbox.vsftpdConfig,
      sandbox.userlist,
      join(sandbox.pamDir, 'storestack-vsftpd'),
      join(sandbox.systemdDir, 'vsftpd.service.d/storestack.conf'),
      join(sandbox.stateDir, 'mount-source'),
      join(sandbox.stateDir, 'password-version'),
    ];
    const before = [...files, sandbox.mountPoint].map((file) => statSync(file));
    const link = lstatSync(join(sandbox.release, 'ftp'));
    const passwd = sandbox.user('ftpconnector');
    sandbox.clearCalls();

    const second = await sandbox.run(hook);

    expectSuccess(second);
    expect(mutatingCalls()).toEqual([]);
    [...files, sandbox.mountPoint].forEach((file, index) => {
      const now = statSync(file);
      expect(now.ino).toBe(before[index]?.ino);
      expect(now.mtimeMs).toBe(before[index]?.mtimeMs);
      expect(now.ctimeMs).toBe(before[index]?.ctimeMs);
    });
    expect(lstatSync(join(sandbox.release, 'ftp')).ino).toBe(link.ino);
    expect(sandbox.user('ftpconnector')).toBe(passwd);
    expect(sandbox.chpasswdInput()).toBe(`ftpconnector:${PASSWORD}\n`);
    expect(second.stdout).toContain(`already mounted from ${NFS_SOURCE}`);
  });

  it('a new release is linked to the share again, without mounting, restarting or touching the account', async () => {
    sandbox.publish();
    expectSuccess(await run());
    sandbox.newRelease();
    sandbox.clearCalls();

    expectSuccess(await run());

    expect(readlinkSync(join(sandbox.release, 'ftp'))).toBe(sandbox.mountPoint);
    expect(mutatingCalls()).toEqual([`chown -h webapp:webapp ${join(sandbox.release, 'ftp')}`]);
  });

  it('replaces what the bundle ships at a nested upload directory, making its parents for the web user', async () => {
    sandbox.publish();
    sandbox.write(join(sandbox.release, 'media/import/.gitkeep'), '');

    expectSuccess(await run({ uploadDirectory: 'media/import' }));
    expect(readlinkSync(join(sandbox.release, 'media/import'))).toBe(sandbox.mountPoint);
    expect(sandbox.read(join(sandbox.mountPoint, '.gitkeep'))).toBeUndefined();

    sandbox.newRelease();
    expectSuccess(await run({ uploadDirectory: 'media/import' }));
    expect(sandbox.callsOf('chown')).toContain(`chown webapp:webapp ${join(sandbox.release, 'media')}`);
    expect(readlinkSync(join(sandbox.release, 'media/import'))).toBe(sandbox.mountPoint);
  });

  it('fails within the timeout, naming the share, its SSM parameter and the mount point, when the mount keeps failing', async () => {
    sandbox.publish();
    sandbox.failMount(NFS_SOURCE, 'always');

    const result = await run({ mountTimeoutSeconds: 2 });

    expect(result.status).not.toBe(0);
    expect(result.elapsedMs).toBeLessThan(6000);
    expect(result.stderr).toContain(
      `storestack-ftp: ERROR: the connector's share: cannot mount ${NFS_SOURCE} (${SHARE_PARAMETER}) at ${sandbox.mountPoint} within 2 s`,
    );
    expect(result.stderr).toMatch(/\(\d+ attempts\); last error: mount\.nfs4: Connection timed out/);
    expect(sandbox.callsOf('mount').length).toBeGreaterThan(1);
    // Nothing after the mount was done.
    expect(sandbox.callsOf('useradd')).toEqual([]);
    expect(sandbox.callsOf('chpasswd')).toEqual([]);
    expect(sandbox.read(sandbox.vsftpdConfig)).toBeUndefined();
    expect(sandbox.callsOf('systemctl')).toEqual([]);
  });

  it('retries a share that does not answer yet, then goes on', async () => {
    sandbox.publish();
    sandbox.failMount(NFS_SOURCE, 2);

    const result = await run();

    expectSuccess(result);
    expect(sandbox.callsOf('mount')).toHaveLength(3);
    expect(result.stdout).toContain('retrying');
    expect(sandbox.isActive('vsftpd')).toBe(true);
  });

  it('fails, naming the share, when the mounted share does not answer (its server is gone)', async () => {
    sandbox.publish();
    sandbox.addMount(sandbox.mountPoint, NFS_SOURCE, 'nfs4');
    sandbox.hangMountPoint(sandbox.mountPoint);

    const result = await run({}, { STORESTACK_PROBE_SECONDS: '1' });

    expect(result.status).not.toBe(0);
    expect(result.elapsedMs).toBeLessThan(6000);
    expect(result.stderr).toContain(
      `the connector's share: ${sandbox.mountPoint} is mounted but does not answer within 1 s`,
    );
  });

  it('refuses a mount point mounted from another source, and says how to fix it', async () => {
    sandbox.publish();
    sandbox.addMount(sandbox.mountPoint, 'old-nfs.internal-client.url:/exports/connector-ftp', 'nfs4');

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `${sandbox.mountPoint} is already mounted from old-nfs.internal-client.url:/exports/connector-ftp`,
    );
    expect(result.stderr).toContain(`umount ${sandbox.mountPoint}`);
  });

  it.each([
    [SHARE_PARAMETER, "cannot read the connector share's mount source from the SSM parameter"],
    [GATEWAY_IP_PARAMETER, 'cannot read the public IP of the gateway ftp from the SSM parameter'],
    [SECRET_ARN_PARAMETER, "cannot read the ARN of the FTP password's secret from the SSM parameter"],
  ])('changes nothing when the SSM parameter %s is missing', async (parameter, message) => {
    sandbox.publish();
    sandbox.removeParameter(parameter);

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${message} ${parameter}`);
    expect(result.stderr).toContain('ParameterNotFound');
    expect(mutatingCalls()).toEqual([]);
  });

  it.each([
    ['not JSON', 'hunter2', 'is not JSON with a non-empty "password" field'],
    ['without a password', '{"username":"ftpconnector"}', 'is not JSON with a non-empty "password" field'],
    ['a password on two lines', JSON.stringify({ password: 'one\ntwo' }), 'holds control characters'],
  ])('changes nothing when the secret is %s', async (_, secret, message) => {
    sandbox.publish();
    sandbox.setSecret(SECRET_ARN, secret);

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`the secret ${SECRET_ARN}`);
    expect(result.stderr).toContain(message);
    expect(result.stderr + result.stdout).not.toContain('hunter2');
    expect(mutatingCalls()).toEqual([]);
  });

  it('changes nothing when the gateway parameter holds something other than an IPv4 address', async () => {
    sandbox.publish();
    sandbox.setParameter(GATEWAY_IP_PARAMETER, '203.0.113.256');

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `${GATEWAY_IP_PARAMETER} holds '203.0.113.256', not the IPv4 address of the gateway ftp`,
    );
    expect(mutatingCalls()).toEqual([]);
  });

  it.each([
    ['nfs-server', EFS_SOURCE, /not an NFS mount source \(host:\/path\)/],
    ['efs', NFS_SOURCE, /not an EFS mount source \(fs-\.\.\.:fsap-\.\.\.\)/],
  ] as const)('with %s, refuses a mount source of the other kind', async (fileSystem, source, message) => {
    sandbox.publish(fileSystem);
    sandbox.setParameter(SHARE_PARAMETER, source);

    const result = await run({ fileSystem });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(mutatingCalls()).toEqual([]);
  });

  it('a new gateway IP rewrites the config and restarts vsftpd, and nothing else', async () => {
    sandbox.publish();
    expectSuccess(await run());
    sandbox.setParameter(GATEWAY_IP_PARAMETER, '198.51.100.7');
    sandbox.clearCalls();

    expectSuccess(await run());

    expect(sandbox.read(sandbox.vsftpdConfig)).toContain('pasv_address=198.51.100.7\n');
    expect(mutatingCalls()).toEqual(['systemctl restart vsftpd']);
  });

  it('a rotated secret (new version) sets the password again, without restarting vsftpd', async () => {
    sandbox.publish();
    expectSuccess(await run());
    sandbox.setSecret(SECRET_ARN, JSON.stringify({ password: 'rotated-Pa55' }), 'b2c3d4e5-0000-0000-0000-222222222222');
    sandbox.clearCalls();

    expectSuccess(await run());

    expect(mutatingCalls()).toEqual(['chpasswd']);
    expect(sandbox.chpasswdInput()).toBe(`ftpconnector:${PASSWORD}\nftpconnector:rotated-Pa55\n`);
    expect(sandbox.callLog()).not.toContain('rotated-Pa55');
  });

  it('brings an existing FTP account back to the web group, the FTP root and no shell', async () => {
    sandbox.publish();
    sandbox.addUser('ftpconnector:x:1500:1500::/home/ftpconnector:/bin/bash');

    expectSuccess(await run());

    expect(sandbox.callsOf('useradd')).toEqual([]);
    expect(sandbox.callsOf('usermod')).toEqual([
      `usermod --gid webapp --home ${sandbox.mountPoint} --shell /sbin/nologin ftpconnector`,
    ]);
    // An account the hook did not create gets its password from the secret too.
    expect(sandbox.chpasswdInput()).toBe(`ftpconnector:${PASSWORD}\n`);
  });

  it('refuses an FTP account that is root', async () => {
    sandbox.publish();
    sandbox.addUser('ftpconnector:x:0:0::/root:/bin/bash');

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('the FTP user ftpconnector is root (uid 0)');
    expect(sandbox.callsOf('chpasswd')).toEqual([]);
  });

  it("sets the web user's directories in the share to 2775, leaving files and the others' alone", async () => {
    sandbox.publish();
    mkdirSync(join(sandbox.mountPoint, 'products/2026'), { recursive: true, mode: 0o755 });
    sandbox.write(join(sandbox.mountPoint, 'products/2026/a.jpg'), 'jpeg', 0o644);

    expectSuccess(await run());

    expect(statSync(join(sandbox.mountPoint, 'products')).mode & 0o7777).toBe(0o2775);
    expect(statSync(join(sandbox.mountPoint, 'products/2026')).mode & 0o7777).toBe(0o2775);
    expect(statSync(join(sandbox.mountPoint, 'products/2026/a.jpg')).mode & 0o777).toBe(0o644);
  });

  it('gives a share root that belongs to someone else to the web user, or says what to do on the file server', async () => {
    sandbox.publish();
    sandbox.setWebUser(900, 900);

    expectSuccess(await run());
    expect(sandbox.callsOf('chown')).toContain(`chown webapp:webapp ${sandbox.mountPoint}`);

    sandbox.failChown();
    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(
      /belongs to \d+:\d+ and root cannot give it to webapp from here \(root_squash\); give it to 900:900 on the file server/,
    );
  });

  it('fails, pointing at the journal, when vsftpd does not stay up', async () => {
    sandbox.publish();
    sandbox.failRestart('vsftpd');

    const result = await run();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('vsftpd did not start; see journalctl -u vsftpd');
  });

  describe('with EFS', () => {
    it('installs efs-utils and mounts the access point with TLS and the instance role; a second run changes nothing', async () => {
      sandbox.publish('efs');

      expectSuccess(await run({ fileSystem: 'efs' }));

      expect(sandbox.callsOf('dnf')).toEqual(['dnf install -y -q vsftpd amazon-efs-utils']);
      expect(sandbox.callsOf('mount')).toEqual([
        `mount -t efs -o tls,iam,accesspoint=fsap-0a1b2c3d4e5f60708 fs-0123456789abcdef0:/ ${sandbox.mountPoint}`,
      ]);
      expect(sandbox.read(sandbox.fstab)).toContain(
        `fs-0123456789abcdef0:/ ${sandbox.mountPoint} efs tls,iam,accesspoint=fsap-0a1b2c3d4e5f60708,_netdev,nofail 0 0`,
      );
      sandbox.clearCalls();

      expectSuccess(await run({ fileSystem: 'efs' }));

      expect(mutatingCalls()).toEqual([]);
    });
  });
});
