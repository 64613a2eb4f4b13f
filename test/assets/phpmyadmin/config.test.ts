// config.inc.php, checked by the real PHP: php -l, then included and its $cfg read back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidPhpMyAdminError,
  type PhpMyAdminConfigProps,
  RDS_CA_BUNDLE_PATH,
  renderPhpMyAdminConfig,
} from '../../../src/assets/phpmyadmin/render.ts';
import { includedConfig, php } from './fixtures.ts';

const SECRET = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

const CONFIG_PROPS: PhpMyAdminConfigProps = {
  blowfishSecretHex: SECRET,
  servers: [
    { label: 'Magento prod', host: 'prod-magento.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com' },
    { label: 'Magento preprod', host: 'preprod-magento.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com' },
    { label: 'Apps', host: 'apps.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com', port: 3306 },
  ],
};

describe('renderPhpMyAdminConfig, run by the real PHP', () => {
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'storestack-phpmyadmin-config-'));
    file = join(dir, 'config.inc.php');
    writeFileSync(file, renderPhpMyAdminConfig(CONFIG_PROPS));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes php -l', () => {
    const result = spawnSync(php(), ['-n', '-l', file], { encoding: 'utf8' });
    expect(result.stdout).toContain('No syntax errors detected');
    expect(result.status).toBe(0);
  });

  it('logs in with a cookie to each of the three servers, over TLS checked against the RDS CA', () => {
    const cfg = includedConfig(file);
    const servers = Object.values(cfg.Servers);
    expect(Object.keys(cfg.Servers)).toEqual(['1', '2', '3']);
    expect(servers.map((server) => server.host)).toEqual(CONFIG_PROPS.servers.map((server) => server.host));
    expect(servers.map((server) => server.verbose)).toEqual(['Magento prod', 'Magento preprod', 'Apps']);
    for (const server of servers) {
      expect(server).toMatchObject({
        auth_type: 'cookie',
        port: '3306',
        ssl: true,
        ssl_verify: true,
        ssl_ca: RDS_CA_BUNDLE_PATH,
        AllowNoPassword: false,
      });
    }
  });

  it('stores no password: no control user, no password key', () => {
    const cfg = includedConfig(file);
    for (const server of Object.values(cfg.Servers)) {
      for (const key of ['password', 'controluser', 'controlpass', 'user']) expect(server).not.toHaveProperty(key);
    }
    expect(renderPhpMyAdminConfig(CONFIG_PROPS)).not.toMatch(/controlpass|controluser|\['password'\]/);
  });

  it('uses the given 32-byte secret, a TempDir, and no arbitrary server', () => {
    const cfg = includedConfig(file);
    expect(cfg.blowfish_secret).toBe(SECRET);
    expect(Buffer.from(cfg.blowfish_secret, 'hex')).toHaveLength(32);
    expect(cfg.TempDir).toBe('/var/lib/phpmyadmin/tmp');
    expect(cfg.AllowArbitraryServer).toBe(false);
  });

  it('leaves no variable of its own behind for phpMyAdmin', () => {
    const code = `include ${JSON.stringify(file)}; echo json_encode(array_keys(get_defined_vars()));`;
    const result = spawnSync(php(), ['-n', '-r', code], { encoding: 'utf8' });
    expect(JSON.parse(result.stdout)).not.toContain('storestack');
  });

  it('quotes a label for PHP', () => {
    const text = renderPhpMyAdminConfig({
      ...CONFIG_PROPS,
      servers: [{ label: 'Apps (v2)', host: '10.0.1.20', port: 3307 }],
    });
    expect(text).toContain("['label' => 'Apps (v2)', 'host' => '10.0.1.20', 'port' => 3307]");
  });
});

describe('renderPhpMyAdminConfig props', () => {
  it.each([
    ['a short secret', { blowfishSecretHex: 'abcd' }, /blowfishSecretHex must be 64 hexadecimal digits/],
    ['no server', { servers: [] }, /servers must list at least one database server/],
    [
      'a quote in a label',
      { servers: [{ label: "it's", host: 'db.example' }] },
      /servers\[0\]\.label "it's" must be 1 to 64/,
    ],
    [
      'two servers with one label',
      {
        servers: [
          { label: 'A', host: 'a.example' },
          { label: 'A', host: 'b.example' },
        ],
      },
      /servers\[1\]\.label "A" is already the label of servers\[0\]/,
    ],
    ['a bad host', { servers: [{ label: 'A', host: 'db;drop' }] }, /servers\[0\]\.host "db;drop" is neither/],
    ['a bad address', { servers: [{ label: 'A', host: '10.0.0.300' }] }, /servers\[0\]\.host "10\.0\.0\.300"/],
    ['a bad port', { servers: [{ label: 'A', host: 'a.example', port: 70000 }] }, /servers\[0\]\.port 70000/],
  ] as const)('refuses %s', (_name, change, message) => {
    expect(() => renderPhpMyAdminConfig({ ...CONFIG_PROPS, ...change })).toThrow(message);
  });

  it('lists every problem in one InvalidPhpMyAdminError', () => {
    let error: unknown;
    try {
      renderPhpMyAdminConfig({ blowfishSecretHex: '', servers: [], tempDir: 'tmp' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidPhpMyAdminError);
    expect((error as InvalidPhpMyAdminError).problems).toHaveLength(3);
  });
});
