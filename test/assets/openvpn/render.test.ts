// The OpenVPN renderer: validation, server.conf, the file list, and every script checked by
// bash -n and shellcheck (rendered, and each static body on its own).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidOpenVpnError,
  renderOpenVpnFiles,
  renderOpenVpnServerConfig,
  renderOpenVpnUserData,
} from '../../../src/assets/openvpn/render.ts';
import { PROJECT_ROOT } from '../../support.ts';
import { itLintsScripts, itShellchecksBodies, scratchScripts } from '../lint.ts';
import { PROPS } from './fixtures.ts';

describe('renderOpenVpnServerConfig', () => {
  it('writes the pool, the pushed routes and DNS, and the hardening options', () => {
    const config = renderOpenVpnServerConfig({ ...PROPS, pushedRoutes: ['10.0.0.0/16', '172.20.0.0/20'] });

    for (const line of [
      'port 1194',
      'proto udp',
      'dev tun',
      'server 10.8.0.0 255.255.255.0',
      'push "route 10.0.0.0 255.255.0.0"',
      'push "route 172.20.0.0 255.255.240.0"',
      'push "dhcp-option DNS 10.0.0.2"',
      'push "dhcp-option DOMAIN internal-client.url"',
      'crl-verify crl.pem',
      'tls-crypt ta.key',
      'data-ciphers AES-256-GCM:AES-128-GCM',
      'tls-version-min 1.2',
      'verify-client-cert require',
      'user nobody',
      'group nobody',
      'persist-key',
    ]) {
      expect(config.split('\n')).toContain(line);
    }
  });

  it('leaves explicit-exit-notify out over TCP', () => {
    const config = renderOpenVpnServerConfig({ ...PROPS, protocol: 'tcp', port: 443 });

    expect(config).toContain('proto tcp\n');
    expect(config).toContain('port 443\n');
    expect(config).not.toContain('explicit-exit-notify');
  });
});

describe('validation', () => {
  it('lists every problem at once', () => {
    const bad = {
      ...PROPS,
      vpnCidr: '10.0.0.0/24',
      pushedRoutes: ['10.0.0.0/16', '0.0.0.0/0'],
      dnsServer: '192.168.1.1',
      internalDomain: 'Not A Domain',
      port: 70000,
      protocol: 'icmp' as 'udp',
      publicHostParameter: 'bad name',
      region: 'europe',
      stateBucket: 'Bad_Bucket',
      stateKey: '/leading/slash',
      stateKmsKeyId: 'key with spaces',
    };

    let error: unknown;
    try {
      renderOpenVpnUserData(bad);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(InvalidOpenVpnError);
    const problems = (error as InvalidOpenVpnError).problems;
    expect(problems).toHaveLength(11);
    expect(problems.join('\n')).toMatch(/pushedRoutes\[0\] 10\.0\.0\.0\/16 overlaps vpnCidr/);
    expect(problems.join('\n')).toMatch(/pushedRoutes\[1\] 0\.0\.0\.0\/0 would send all/);
    expect(problems.join('\n')).toMatch(/dnsServer 192\.168\.1\.1 is outside every pushed route/);
  });

  it('accepts CDK tokens for the bucket, the KMS key and the parameter', () => {
    const files = renderOpenVpnFiles({
      ...PROPS,
      stateBucket: `\${Token[TOKEN.1]}`,
      stateKmsKeyId: `\${Token[TOKEN.2]}`,
      publicHostParameter: `\${Token[TOKEN.3]}`,
    });

    expect(files.find((file) => file.path === 'user-data.sh')?.content).toContain(`'\${Token[TOKEN.1]}'`);
  });
});

describe('renderOpenVpnFiles', () => {
  it('renders the user data, server.conf and the client scripts', () => {
    const files = renderOpenVpnFiles(PROPS);

    expect(files.map((file) => [file.path, file.mode])).toEqual([
      ['client-configs/make_config.sh', 0o700],
      ['client-configs/revoke_client.sh', 0o700],
      ['server.conf', 0o644],
      ['user-data.sh', 0o755],
    ]);
    const userData = files.find((file) => file.path === 'user-data.sh')?.content ?? '';
    expect(userData.startsWith('#!/bin/bash\n')).toBe(true);
    expect(userData).toContain(renderOpenVpnServerConfig(PROPS).trimEnd());
  });
});

describe('the rendered scripts, checked by the real tools', () => {
  const written = scratchScripts('storestack-openvpn-lint-', '.sh');
  const scripts = renderOpenVpnFiles({ ...PROPS, stateKmsKeyId: 'alias/storestack-openvpn' })
    .filter((file) => file.path.endsWith('.sh'))
    .map((file) => [file.path, file.content] as const);

  itLintsScripts(scripts, written);
  itShellchecksBodies(join(PROJECT_ROOT, 'src/assets/openvpn'), [
    'openvpn-common.sh',
    'setup-openvpn-server.sh',
    'make_config.sh',
    'revoke_client.sh',
  ]);
});
