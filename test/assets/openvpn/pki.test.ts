// The rendered OpenVPN scripts run for real against a sandbox: aws, dnf, rpm, systemctl, sysctl
// and nft stubbed, easy-rsa, openssl and openvpn real. The PKI is made once, saved to (stubbed)
// S3, reused, and survives the replacement of the instance.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderOpenVpnFiles, renderOpenVpnServerConfig } from '../../../src/assets/openvpn/render.ts';
import { OpenVpnSandbox, PROPS, warnIfMissing } from './fixtures.ts';

const skip = warnIfMissing('the OpenVPN PKI tests');

function expectOk(result: { status: number | null; stdout: string; stderr: string }): void {
  expect(result.status, result.stdout + result.stderr).toBe(0);
}

describe.skipIf(skip)('the OpenVPN scripts with the system commands stubbed', () => {
  let sandbox: OpenVpnSandbox;

  beforeEach(() => {
    sandbox = new OpenVpnSandbox();
  });

  afterEach(() => {
    sandbox.remove();
  });

  it('creates the PKI once, saves it, installs the server and the client scripts', async () => {
    expectOk(await sandbox.setup());

    expect(sandbox.stateObject()).toBeDefined();
    expect(sandbox.read(join(sandbox.serverDir, 'server.conf'))).toBe(renderOpenVpnServerConfig(PROPS));
    for (const file of ['ca.crt', 'server.crt', 'server.key', 'ta.key', 'crl.pem']) {
      expect(sandbox.read(join(sandbox.serverDir, file)), file).toBeTruthy();
    }
    const files = renderOpenVpnFiles(PROPS);
    for (const script of ['make_config.sh', 'revoke_client.sh']) {
      expect(sandbox.read(join(sandbox.clientDir, script))).toBe(
        files.find((file) => file.path === `client-configs/${script}`)?.content,
      );
    }
    expect(sandbox.callsOf('dnf')).toEqual(['dnf install -y -q openvpn easy-rsa nftables']);
    expect(sandbox.callsOf('systemctl')).toContain('systemctl restart openvpn-server@server');
    expect(sandbox.callsOf('nft')).toHaveLength(1);
    expect(sandbox.read(sandbox.env().STORESTACK_OPENVPN_NFT_FILE as string)).toContain(
      'ip saddr 10.8.0.0/24 ip daddr != 10.8.0.0/24 masquerade',
    );
    expect(sandbox.read(sandbox.env().STORESTACK_OPENVPN_SYSCTL_FILE as string)).toContain('net.ipv4.ip_forward = 1');
  });

  it('reuses the PKI on a second run and changes nothing', async () => {
    expectOk(await sandbox.setup());
    const ca = sandbox.fingerprint(join(sandbox.serverDir, 'ca.crt'));
    const saved = sandbox.stateObject();
    sandbox.clearCalls();

    expectOk(await sandbox.setup());

    expect(sandbox.fingerprint(join(sandbox.serverDir, 'ca.crt'))).toBe(ca);
    expect(sandbox.stateObject()?.equals(saved as Buffer)).toBe(true);
    expect(sandbox.callsOf('dnf')).toEqual([]);
    expect(sandbox.callsOf('systemctl')).not.toContain('systemctl restart openvpn-server@server');
    expect(sandbox.callsOf('aws').filter((call) => call.includes('s3 cp /'))).toEqual([]);
  });

  it('refuses to create a new PKI when S3 cannot tell whether the state exists', async () => {
    sandbox.set('s3-denied');

    const result = await sandbox.setup();

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('refusing to create a new PKI');
    expect(sandbox.stateObject()).toBeUndefined();
  });

  it('make_config.sh writes a profile with the CA, the client certificate and key, and refuses a second one', async () => {
    expectOk(await sandbox.setup());
    const ca = sandbox.read(join(sandbox.serverDir, 'ca.crt')) as string;

    expectOk(await sandbox.client('make_config.sh', 'alice'));

    const profile = sandbox.profile('alice') as string;
    expect(profile).toContain('remote 203.0.113.10 1194');
    expect(profile).toContain('remote-cert-tls server');
    expect(profile).toContain(`<ca>\n${ca.trim()}\n</ca>`);
    const cert = sandbox.read(join(sandbox.easyRsaDir, 'pki/issued/alice.crt')) as string;
    expect(profile).toContain(cert.slice(cert.indexOf('-----BEGIN CERTIFICATE-----')).trim());
    expect(profile).toContain((sandbox.read(join(sandbox.easyRsaDir, 'pki/private/alice.key')) as string).trim());
    expect(profile).toMatch(/<tls-crypt>\n[^<]*-----BEGIN OpenVPN Static key V1-----[^<]*<\/tls-crypt>/);
    const saved = sandbox.stateObject();
    const index = sandbox.read(join(sandbox.easyRsaDir, 'pki/index.txt'));

    const again = await sandbox.client('make_config.sh', 'alice');

    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('alice already has a certificate: revoke it first');
    expect(sandbox.profile('alice')).toBe(profile);
    expect(sandbox.read(join(sandbox.easyRsaDir, 'pki/index.txt'))).toBe(index);
    expect(sandbox.stateObject()?.equals(saved as Buffer)).toBe(true);
  });

  it('make_config.sh rejects a bad user name', async () => {
    expectOk(await sandbox.setup());

    for (const name of ['../etc', 'a b', '', 'server']) {
      const result = await sandbox.client('make_config.sh', name);
      expect(result.status, name).not.toBe(0);
      expect(result.stderr, name).toMatch(/username|usage/);
    }
  });

  it('make_config.sh fails loudly and changes nothing when the state cannot be saved', async () => {
    expectOk(await sandbox.setup());
    const index = sandbox.read(join(sandbox.easyRsaDir, 'pki/index.txt'));
    sandbox.set('s3-fail');

    const result = await sandbox.client('make_config.sh', 'carol');

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('could not save the PKI state');
    expect(sandbox.profile('carol')).toBeUndefined();
    expect(sandbox.read(join(sandbox.easyRsaDir, 'pki/index.txt'))).toBe(index);

    sandbox.set('s3-fail', false);
    expectOk(await sandbox.client('make_config.sh', 'carol'));
    expect(sandbox.profile('carol')).toContain('<cert>');
  });

  it('keeps the users and the revocations across a replacement of the instance', async () => {
    expectOk(await sandbox.setup());
    const ca = sandbox.fingerprint(join(sandbox.serverDir, 'ca.crt'));
    expectOk(await sandbox.client('make_config.sh', 'alice'));
    expectOk(await sandbox.client('make_config.sh', 'bob'));
    const bobSerial = /serial=([0-9A-F]+)/i.exec(
      spawnSync('openssl', ['x509', '-in', join(sandbox.easyRsaDir, 'pki/issued/bob.crt'), '-noout', '-serial'], {
        encoding: 'utf8',
      }).stdout,
    )?.[1];
    sandbox.clearCalls();
    expectOk(await sandbox.client('revoke_client.sh', 'bob'));
    expect(sandbox.profile('bob')).toBeUndefined();
    expect(sandbox.callsOf('systemctl')).toEqual(['systemctl try-restart openvpn-server@server']);

    sandbox.replaceInstance();
    expectOk(await sandbox.setup());

    expect(sandbox.fingerprint(join(sandbox.serverDir, 'ca.crt'))).toBe(ca);
    const again = await sandbox.client('make_config.sh', 'alice');
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('alice already has a certificate: revoke it first');
    const crl = spawnSync('openssl', ['crl', '-in', join(sandbox.serverDir, 'crl.pem'), '-noout', '-text'], {
      encoding: 'utf8',
    }).stdout;
    expect(bobSerial).toBeTruthy();
    expect(crl).toContain(`Serial Number: ${bobSerial}`);
    // A revoked user may be given a new certificate.
    expectOk(await sandbox.client('make_config.sh', 'bob'));
    expect(sandbox.profile('bob')).toContain('<key>');
  });

  it('revoke_client.sh refuses a user without a valid certificate', async () => {
    expectOk(await sandbox.setup());

    const result = await sandbox.client('revoke_client.sh', 'nobody-here');

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('nobody-here has no valid certificate to revoke');
  });
});
