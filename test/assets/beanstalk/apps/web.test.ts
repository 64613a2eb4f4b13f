// How the apps are served: the ebextension (document root, proxy), the Mirakl connector's Apache
// configuration checked by the real apache2/httpd, and the nginx rule checked by the real nginx.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  renderAppEbextension,
  renderMiraklApacheConf,
  renderNginxDotfiles,
} from '../../../../src/assets/beanstalk/apps/web/render.ts';
import { findExecutable, requireNginx } from '../magento/nginx/fixtures.ts';

// Debian's apache2 (run without apache2ctl's environment) or Amazon Linux's httpd.
const APACHE = findExecutable(/^apache2$/) ?? findExecutable(/^httpd$/);
const APACHE_MODULE_DIRS = ['/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/etc/httpd/modules'];
if (!APACHE) console.log('apache2/httpd is not installed: skipping the Apache syntax check of mirakl.conf');

describe('renderAppEbextension', () => {
  it.each(['nginx', 'apache'] as const)('sets the document root to public/ and the proxy to %s', (proxy) => {
    expect(JSON.parse(renderAppEbextension(proxy))).toEqual({
      option_settings: [
        { namespace: 'aws:elasticbeanstalk:container:php:phpini', option_name: 'document_root', value: '/public' },
        { namespace: 'aws:elasticbeanstalk:environment:proxy', option_name: 'ProxyServer', value: proxy },
      ],
    });
  });
});

describe('the Mirakl connector Apache configuration', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'storestack-apps-apache-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves public/ through the front controller, without .htaccess, and denies dotfiles', () => {
    const conf = renderMiraklApacheConf();

    for (const root of ['/var/www/html/public', '/var/app/current/public']) {
      const block = conf.slice(conf.indexOf(`<Directory "${root}">`), conf.indexOf('</Directory>', conf.indexOf(root)));
      expect(block).toContain('AllowOverride None');
      expect(block).toContain('FallbackResource /index.php');
      expect(block).toContain('Options -Indexes');
    }
    expect(conf).toContain('<FilesMatch "^\\.">\n    Require all denied\n</FilesMatch>');
    expect(conf).toContain('<DirectoryMatch "/\\.">\n    Require all denied\n</DirectoryMatch>');
  });

  it.skipIf(!APACHE)('passes the real Apache 2.4 syntax check (apache2 -t / httpd -t)', () => {
    const modules = APACHE_MODULE_DIRS.find((candidate) => existsSync(join(candidate, 'mod_authz_core.so')));
    const file = join(dir, 'mirakl.conf');
    writeFileSync(file, renderMiraklApacheConf());
    // Debian's apache2 and Amazon Linux's httpd build the MPM, authz_core and dir as modules;
    // what a build compiles in (apache2 -l) is not loaded again.
    const compiledIn = spawnSync(APACHE as string, ['-l'], { encoding: 'utf8' }).stdout;
    const load = (name: string, so: string) =>
      compiledIn.includes(so.replace(/\.so$/, '.c')) || !modules ? [] : [`LoadModule ${name} ${join(modules, so)}`];
    const conf = join(dir, 'httpd.conf');
    writeFileSync(
      conf,
      [
        `ServerRoot "${dir}"`,
        `DefaultRuntimeDir "${dir}"`,
        `PidFile "${join(dir, 'httpd.pid')}"`,
        `ErrorLog "${join(dir, 'error.log')}"`,
        'ServerName localhost',
        'Listen 127.0.0.1:8080',
        ...load('mpm_event_module', 'mod_mpm_event.so'),
        ...load('authz_core_module', 'mod_authz_core.so'),
        ...load('dir_module', 'mod_dir.so'),
        `DocumentRoot "${dir}"`,
        `Include "${file}"`,
        '',
      ].join('\n'),
    );

    const result = spawnSync(APACHE as string, ['-t', '-f', conf], { encoding: 'utf8' });

    expect(result.stdout + result.stderr).toContain('Syntax OK');
    expect(result.status).toBe(0);
  });
});

describe('the nginx rule of the apps behind nginx', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'storestack-apps-nginx-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes nginx -t inside a server block, as the platform includes conf.d/elasticbeanstalk/*.conf', () => {
    const nginx = requireNginx();
    const rule = join(dir, '10-storestack-deny-dotfiles.conf');
    writeFileSync(rule, renderNginxDotfiles());
    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      [
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')};`,
        'events {}',
        'http {',
        '  access_log off;',
        `  client_body_temp_path ${join(dir, 'body')};`,
        `  proxy_temp_path ${join(dir, 'proxy')};`,
        `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
        `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
        `  scgi_temp_path ${join(dir, 'scgi')};`,
        '  server {',
        '    listen 127.0.0.1:8080;',
        `    root ${dir};`,
        `    include ${rule};`,
        '    location ~ \\.php$ { return 204; }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );

    const result = spawnSync(nginx, ['-t', '-p', dir, '-e', join(dir, 'error.log'), '-c', conf], { encoding: 'utf8' });

    expect(result.stderr).toContain('test is successful');
    expect(result.status).toBe(0);
  });
});
