// The nginx server, checked by the real nginx -t inside a minimal nginx.conf.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderPhpMyAdminNginxServer } from '../../../src/assets/phpmyadmin/render.ts';
import { requireNginx } from '../beanstalk/magento/nginx/fixtures.ts';

const IS_ROOT = process.getuid?.() === 0;

describe('the phpMyAdmin nginx server', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'storestack-phpmyadmin-nginx-'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** nginx -t on a minimal nginx.conf that includes `server` as conf.d/phpmyadmin.conf. */
  function nginxTest(server: string): { status: number | null; output: string } {
    const confD = join(root, 'conf.d');
    const tmp = join(root, 'tmp');
    mkdirSync(confD, { recursive: true });
    mkdirSync(tmp);
    mkdirSync(join(root, 'logs'));
    for (const name of ['mime.types', 'fastcgi_params']) copyFileSync(join('/etc/nginx', name), join(root, name));
    writeFileSync(join(confD, 'phpmyadmin.conf'), server);
    const main = join(root, 'nginx.conf');
    writeFileSync(
      main,
      [
        IS_ROOT ? 'user root;' : '',
        'worker_processes 1;',
        `pid ${join(root, 'nginx.pid')};`,
        'events { worker_connections 64; }',
        'http {',
        '    include mime.types;',
        `    access_log ${join(root, 'logs/access.log')};`,
        `    client_body_temp_path ${tmp}/client_body;`,
        `    fastcgi_temp_path ${tmp}/fastcgi;`,
        `    proxy_temp_path ${tmp}/proxy;`,
        `    uwsgi_temp_path ${tmp}/uwsgi;`,
        `    scgi_temp_path ${tmp}/scgi;`,
        '    include conf.d/*.conf;',
        '}',
        '',
      ].join('\n'),
    );
    const result = spawnSync(requireNginx(), ['-p', `${root}/`, '-e', join(root, 'logs/error.log'), '-c', main, '-t'], {
      encoding: 'utf8',
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it.each([
    ['the defaults', {}],
    ['another port, root and socket', { port: 8080, root: '/srv/phpmyadmin', phpFpmSocket: '/run/php/fpm.sock' }],
  ])('passes nginx -t: %s', (_name, props) => {
    const { status, output } = nginxTest(renderPhpMyAdminNginxServer(props));
    expect(output).toContain('test is successful');
    expect(status).toBe(0);
  });

  it('serves phpMyAdmin through php-fpm and denies setup/ and libraries/', () => {
    const server = renderPhpMyAdminNginxServer();
    expect(server).toContain('listen 80 default_server;');
    expect(server).toContain('root /usr/share/phpmyadmin;');
    expect(server).toContain('fastcgi_pass unix:/run/php-fpm/www.sock;');
    expect(server).toMatch(/location ~ \^\/\(\?:setup\|libraries\|[^)]*\)\(\?:\/\|\$\) \{\n\s+deny all;/);
    // The deny comes before the PHP location: nginx tries regex locations in order.
    expect(server.indexOf('setup|libraries')).toBeLessThan(server.indexOf('\\.php$'));
  });

  it('refuses a bad port', () => {
    expect(() => renderPhpMyAdminNginxServer({ port: 0 })).toThrow(/port 0 is not a TCP port/);
  });
});
