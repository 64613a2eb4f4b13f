import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ConnectorFtpProps,
  FTP_HOOK_BUNDLE_PATH,
  renderConnectorFtpFiles,
} from '../../../../src/assets/beanstalk/connector-ftp/render.ts';
import {
  renderVsftpdConfig,
  renderVsftpdPamService,
  VSFTPD_PASV_ADDRESS_PLACEHOLDER,
  type VsftpdConfigProps,
} from '../../../../src/assets/beanstalk/connector-ftp/vsftpd.ts';
import { PROJECT_ROOT } from '../../../support.ts';
import { bundleFile, sampleProps } from './fixtures.ts';

const BODY = join(PROJECT_ROOT, 'src/assets/beanstalk/connector-ftp/setup-ftp.sh');

const CONFIG: VsftpdConfigProps = {
  ftpRoot: '/mnt/storestack/connector-ftp',
  passivePorts: { from: 30000, to: 30009 },
  pasvAddress: '203.0.113.21',
  userlistFile: '/etc/vsftpd/storestack-user_list',
};

/** The settings of a vsftpd.conf, without its comments and blank lines. */
function settings(text: string): Map<string, string> {
  const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  const entries = lines.map((line) => {
    const [name, ...value] = line.split('=');
    return [name ?? '', value.join('=')] as const;
  });
  expect(new Set(entries.map(([name]) => name)).size).toBe(entries.length);
  return new Map(entries);
}

type Mutable<T> = { -readonly [K in keyof T]: unknown };

function withConfig(change: (props: Mutable<VsftpdConfigProps>) => void): VsftpdConfigProps {
  const props = structuredClone(CONFIG) as Mutable<VsftpdConfigProps>;
  change(props);
  return props as unknown as VsftpdConfigProps;
}

function withProps(change: (props: Mutable<ConnectorFtpProps>) => void): ConnectorFtpProps {
  const props = structuredClone(sampleProps()) as Mutable<ConnectorFtpProps>;
  change(props);
  return props as unknown as ConnectorFtpProps;
}

describe('renderVsftpdConfig', () => {
  it('lets in local users of the list only, jailed in the FTP root, uploading group-writable files', () => {
    const config = settings(renderVsftpdConfig(CONFIG));

    expect(Object.fromEntries(config)).toMatchObject({
      anonymous_enable: 'NO',
      local_enable: 'YES',
      write_enable: 'YES',
      userlist_enable: 'YES',
      userlist_deny: 'NO',
      userlist_file: '/etc/vsftpd/storestack-user_list',
      pam_service_name: 'storestack-vsftpd',
      local_root: '/mnt/storestack/connector-ftp',
      chroot_local_user: 'YES',
      allow_writeable_chroot: 'YES',
      local_umask: '002',
      chmod_enable: 'NO',
    });
  });

  it('serves passive mode only, advertising the given address, on one IPv4 listener in the foreground', () => {
    const config = settings(renderVsftpdConfig(CONFIG));

    expect(Object.fromEntries(config)).toMatchObject({
      listen: 'YES',
      listen_ipv6: 'NO',
      listen_port: '21',
      background: 'NO',
      pasv_enable: 'YES',
      pasv_min_port: '30000',
      pasv_max_port: '30009',
      pasv_address: '203.0.113.21',
      pasv_addr_resolve: 'NO',
      port_enable: 'NO',
      xferlog_enable: 'YES',
      xferlog_file: '/var/log/xferlog',
      secure_chroot_dir: '/usr/share/empty',
      seccomp_sandbox: 'NO',
      ssl_enable: 'NO',
    });
    expect(config.has('listen_address')).toBe(false);
  });

  it('takes the options a test needs: port, address, PAM service, directories; and seccomp on request', () => {
    const config = settings(
      renderVsftpdConfig({
        ...CONFIG,
        pasvAddress: '127.0.0.1',
        listenPort: 2121,
        listenAddress: '127.0.0.1',
        pamServiceName: 'sstest1234',
        secureChrootDir: '/tmp/x/empty',
        xferlogFile: '/tmp/x/xferlog',
        seccompSandbox: true,
      }),
    );

    expect(Object.fromEntries(config)).toMatchObject({
      listen_port: '2121',
      listen_address: '127.0.0.1',
      pam_service_name: 'sstest1234',
      secure_chroot_dir: '/tmp/x/empty',
      xferlog_file: '/tmp/x/xferlog',
      seccomp_sandbox: 'YES',
    });
  });

  it('accepts the placeholder the deploy hook fills in', () => {
    expect(renderVsftpdConfig({ ...CONFIG, pasvAddress: VSFTPD_PASV_ADDRESS_PLACEHOLDER })).toContain(
      `pasv_address=${VSFTPD_PASV_ADDRESS_PLACEHOLDER}\n`,
    );
  });

  it('lists every problem at once', () => {
    const props = withConfig((p) => {
      p.ftpRoot = 'relative/ftp';
      p.passivePorts = { from: 900, to: 800 };
      p.pasvAddress = 'gateway.example.com';
      p.userlistFile = '/etc/vsftpd/../user list';
      p.listenPort = 70000;
      p.listenAddress = '::1';
      p.pamServiceName = 'Bad Name';
      p.seccompSandbox = 'no';
    });

    expect(() => renderVsftpdConfig(props)).toThrow(
      [
        'Invalid vsftpd configuration:',
        '  - ftpRoot "relative/ftp" must be a plain absolute path: letters, digits, ".", "_", "-" between single slashes, no trailing slash, no . or .. parts',
        '  - userlistFile "/etc/vsftpd/../user list" must be a plain absolute path: letters, digits, ".", "_", "-" between single slashes, no trailing slash, no . or .. parts',
        '  - passivePorts.to 800 must not be below passivePorts.from 900',
        '  - passivePorts.from 900 must be 1024 or above: vsftpd opens them unprivileged',
        '  - listenPort 70000 is not a TCP port (1-65535)',
        '  - pasvAddress "gateway.example.com" must be an IPv4 address (the gateway\'s public IP) or @STORESTACK_PASV_ADDRESS@',
        '  - listenAddress "::1" must be an IPv4 address',
        '  - pamServiceName "Bad Name" must match [a-z0-9][a-z0-9._-]*',
        '  - seccompSandbox "no" must be true or false',
      ].join('\n'),
    );
  });

  it('refuses a control port inside the passive range, and an address out of range', () => {
    expect(() => renderVsftpdConfig({ ...CONFIG, listenPort: 30005 })).toThrow(
      'listenPort 30005 is inside passivePorts 30000-30009',
    );
    expect(() => renderVsftpdConfig({ ...CONFIG, pasvAddress: '203.0.113.256' })).toThrow(
      'pasvAddress "203.0.113.256" must be an IPv4 address',
    );
  });
});

describe('renderVsftpdPamService', () => {
  it("is vsftpd's own service without pam_shells, allowing the users of the list only", () => {
    const pam = renderVsftpdPamService({ userlistFile: '/etc/vsftpd/storestack-user_list' });

    const rules = pam.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(rules.filter((line) => line.includes('pam_shells'))).toEqual([]);
    expect(pam).toContain(
      'auth       required     pam_listfile.so item=user sense=allow file=/etc/vsftpd/storestack-user_list onerr=fail',
    );
    expect(pam.split('\n').filter((line) => line.includes('include'))).toEqual([
      'auth       include      password-auth',
      'account    include      password-auth',
      'session    include      password-auth',
    ]);
  });

  it('includes another system stack when asked (the tests, on Debian)', () => {
    expect(renderVsftpdPamService({ userlistFile: '/tmp/x/users', systemStack: 'sstest-stack' })).toContain(
      'auth       include      sstest-stack',
    );
    expect(() => renderVsftpdPamService({ userlistFile: 'users', systemStack: '../x' })).toThrow(
      /userlistFile "users" must be a plain absolute path[\s\S]*systemStack "\.\.\/x"/,
    );
  });
});

describe('renderConnectorFtpFiles', () => {
  it('gives the bundle the hook and the three files it installs', () => {
    const files = renderConnectorFtpFiles(sampleProps());

    expect(files.map((file) => [file.path, file.mode.toString(8)])).toEqual([
      ['.platform/hooks/postdeploy/30-ftp.sh', '755'],
      ['.platform/storestack/connector-ftp/vsftpd.conf', '644'],
      ['.platform/storestack/connector-ftp/vsftpd.pam', '644'],
      ['.platform/storestack/connector-ftp/vsftpd.service.conf', '644'],
    ]);
  });

  it('makes the hook #!/bin/bash, its generated header, then the body without its own shebang', () => {
    const hook = bundleFile(renderConnectorFtpFiles(sampleProps()), FTP_HOOK_BUNDLE_PATH);
    const body = readFileSync(BODY, 'utf8').replace(/^#!.*\n/, '');

    expect(hook.startsWith('#!/bin/bash\n# storestack, generated by ')).toBe(true);
    expect(hook.endsWith(body)).toBe(true);
    const header = hook.slice(0, hook.length - body.length).split('\n');
    expect(header).toEqual([
      '#!/bin/bash',
      '# storestack, generated by src/assets/beanstalk/connector-ftp/render.ts from setup-ftp.sh.',
      "FTP_USER='ftpconnector'",
      "FTP_WEB_USER='webapp'",
      "FTP_UPLOAD_DIRECTORY='ftp'",
      "FTP_REGION='eu-west-3'",
      "FTP_SHARE_PARAMETER='/storestack/shared/shares/connector'",
      "FTP_SECRET_ARN_PARAMETER='/storestack/apps/connector/ftp-secret-arn'",
      "FTP_GATEWAY_IP_PARAMETER='/storestack/apps/gateways/ftp/public-ip'",
      "FTP_GATEWAY_NAME='ftp'",
      "FTP_MOUNT_POINT='/mnt/storestack/connector-ftp'",
      "FTP_FILE_SYSTEM='nfs-server'",
      'FTP_MOUNT_TIMEOUT_SECONDS=300',
      "FTP_FILES_BUNDLE_DIR='.platform/storestack/connector-ftp'",
      "FTP_VSFTPD_CONFIG='/etc/vsftpd/vsftpd.conf'",
      "FTP_USERLIST_FILE='/etc/vsftpd/storestack-user_list'",
      "FTP_PAM_SERVICE='storestack-vsftpd'",
      "FTP_PASV_ADDRESS_PLACEHOLDER='@STORESTACK_PASV_ADDRESS@'",
      '',
    ]);
  });

  it("ships vsftpd.conf for the share and the passive range, the gateway's IP left to the hook", () => {
    const files = renderConnectorFtpFiles(sampleProps({ passivePorts: { from: 40000, to: 40049 } }));
    const config = settings(bundleFile(files, '.platform/storestack/connector-ftp/vsftpd.conf'));

    expect(config.get('local_root')).toBe('/mnt/storestack/connector-ftp');
    expect(config.get('pasv_address')).toBe(VSFTPD_PASV_ADDRESS_PLACEHOLDER);
    expect([config.get('pasv_min_port'), config.get('pasv_max_port')]).toEqual(['40000', '40049']);
    expect(config.get('listen_port')).toBe('21');
    expect(config.get('userlist_file')).toBe('/etc/vsftpd/storestack-user_list');
    expect(config.get('pam_service_name')).toBe('storestack-vsftpd');
  });

  it('ships a systemd drop-in that runs vsftpd in the foreground, once the share is mounted', () => {
    const dropIn = bundleFile(
      renderConnectorFtpFiles(sampleProps()),
      '.platform/storestack/connector-ftp/vsftpd.service.conf',
    );

    expect(dropIn).toContain('RequiresMountsFor=/mnt/storestack/connector-ftp\n');
    expect(dropIn).toContain('Type=simple\nExecStart=\nExecStart=/usr/sbin/vsftpd /etc/vsftpd/vsftpd.conf\n');
  });

  it('lists every problem at once', () => {
    const props = withProps((p) => {
      p.ftpUser = 'webapp';
      p.passivePorts = { from: 21, to: 30 };
      p.uploadDirectory = '../ftp';
      p.region = 'Paris';
      p.parameterPaths = { shareSource: 'shares/connector', ftpSecretArn: '/ok', gatewayPublicIp: '' };
      p.gatewayName = 'FTP-1';
      p.mountPoint = '/var/app/current/ftp';
      p.fileSystem = 'smb';
      p.mountTimeoutSeconds = 0;
    });

    expect(() => renderConnectorFtpFiles(props)).toThrow(
      [
        'Invalid connector FTP files:',
        '  - ftpUser webapp must be distinct from the web user',
        '  - uploadDirectory "../ftp" must be a relative path inside the web root such as media/import',
        '  - region "Paris" is not an AWS region such as eu-west-3',
        '  - parameterPaths.shareSource "shares/connector" must be an SSM parameter name such as /storestack/...',
        '  - parameterPaths.gatewayPublicIp "" must be an SSM parameter name such as /storestack/...',
        '  - gatewayName "FTP-1" is not a gateway name (lower-case letters and digits)',
        '  - mountPoint /var/app/current/ftp must be outside /var/app, which Beanstalk replaces on every deploy',
        '  - passivePorts.from 21 must be 1024 or above: vsftpd opens them unprivileged',
        '  - listenPort 21 is inside passivePorts 21-30',
        '  - fileSystem "smb" must be nfs-server or efs',
        '  - mountTimeoutSeconds must be a whole number of seconds from 1 to 3600 (got 0)',
      ].join('\n'),
    );
  });

  it.each(['root', 'nobody', 'ftp'])('refuses the system account %s as the FTP user', (ftpUser) => {
    expect(() => renderConnectorFtpFiles(sampleProps({ ftpUser }))).toThrow(
      `ftpUser ${ftpUser} is a system account; choose a dedicated FTP user`,
    );
  });

  it('refuses an upload directory inside .platform', () => {
    expect(() => renderConnectorFtpFiles(sampleProps({ uploadDirectory: '.platform/ftp' }))).toThrow(
      'uploadDirectory ".platform/ftp" must be a relative path',
    );
  });
});
