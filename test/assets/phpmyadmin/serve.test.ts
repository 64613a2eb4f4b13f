// The nginx server served by the real nginx and php-fpm on loopback, in front of a fake phpMyAdmin
// release behind a symlink: PHP runs, setup/ and libraries/ are denied.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPhpMyAdminNginxServer } from '../../../src/assets/phpmyadmin/render.ts';
import { freePort, requireNginx, requirePhpFpm } from '../beanstalk/magento/nginx/fixtures.ts';

const IS_ROOT = process.getuid?.() === 0;

describe('the phpMyAdmin nginx server, served by the real nginx and php-fpm', () => {
  const root = mkdtempSync(join(tmpdir(), 'storestack-phpmyadmin-serve-'));
  const children: ChildProcess[] = [];
  let port = 0;

  function write(path: string, content: string): void {
    const file = join(root, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
  }

  async function waitFor(ready: () => boolean | Promise<boolean>, what: string): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await ready()) return;
      await delay(100);
    }
    throw new Error(`${what} did not start`);
  }

  beforeAll(async () => {
    port = await freePort();
    const socket = join(root, 'run/www.sock');
    write('share/phpmyadmin-5.2.1/index.php', "<?php echo 'phpMyAdmin index ' . $_SERVER['SCRIPT_FILENAME'];\n");
    write('share/phpmyadmin-5.2.1/setup/index.php', "<?php echo 'EXECUTED setup';\n");
    write('share/phpmyadmin-5.2.1/libraries/config.default.php', "<?php echo 'EXECUTED libraries';\n");
    write('share/phpmyadmin-5.2.1/themes/style.css', 'body{}\n');
    write('share/phpmyadmin-5.2.1/.storestack-sha256', 'secret-ish\n');
    symlinkSync('phpmyadmin-5.2.1', join(root, 'share/phpmyadmin'));
    mkdirSync(join(root, 'run'), { recursive: true });
    mkdirSync(join(root, 'tmp'), { recursive: true });
    for (const name of ['mime.types', 'fastcgi_params']) copyFileSync(join('/etc/nginx', name), join(root, name));
    write(
      'conf.d/phpmyadmin.conf',
      renderPhpMyAdminNginxServer({ port, root: join(root, 'share/phpmyadmin'), phpFpmSocket: socket }).replace(
        `listen ${port} `,
        `listen 127.0.0.1:${port} `,
      ),
    );
    const tmp = join(root, 'tmp');
    write(
      'nginx.conf',
      [
        IS_ROOT ? 'user root;' : '',
        'worker_processes 1;',
        `pid ${join(root, 'run/nginx.pid')};`,
        'events { worker_connections 64; }',
        'http {',
        '    include mime.types;',
        `    access_log ${join(root, 'access.log')};`,
        ...['client_body', 'fastcgi', 'proxy', 'uwsgi', 'scgi'].map((name) => `    ${name}_temp_path ${tmp}/${name};`),
        '    include conf.d/*.conf;',
        '}',
        '',
      ].join('\n'),
    );
    write(
      'php-fpm.conf',
      [
        '[global]',
        `pid = ${join(root, 'run/php-fpm.pid')}`,
        `error_log = ${join(root, 'php-fpm.log')}`,
        'daemonize = no',
        '[www]',
        ...(IS_ROOT ? ['user = root', 'group = root'] : []),
        `listen = ${socket}`,
        'pm = static',
        'pm.max_children = 1',
        '',
      ].join('\n'),
    );
    const fpmArgs = ['-n', '-F', '-y', join(root, 'php-fpm.conf'), ...(IS_ROOT ? ['-R'] : [])];
    children.push(spawn(requirePhpFpm(), fpmArgs, { detached: true, stdio: 'ignore' }));
    await waitFor(() => existsSync(socket), 'php-fpm');
    const nginxArgs = ['-p', `${root}/`, '-e', join(root, 'error.log'), '-c', join(root, 'nginx.conf')];
    children.push(spawn(requireNginx(), [...nginxArgs, '-g', 'daemon off;'], { detached: true, stdio: 'ignore' }));
    await waitFor(async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/themes/style.css`);
        return true;
      } catch {
        return false;
      }
    }, 'nginx');
  });

  afterAll(async () => {
    for (const child of children) {
      if (child.pid !== undefined && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-child.pid, 'SIGTERM');
        await exited;
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  async function get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: await response.text() };
  }

  it('runs index.php through php-fpm, from the release the symlink points to', async () => {
    const { status, body } = await get('/');
    expect(status).toBe(200);
    expect(body).toBe(`phpMyAdmin index ${join(root, 'share/phpmyadmin-5.2.1/index.php')}`);
  });

  it('serves the static files', async () => {
    expect(await get('/themes/style.css')).toEqual({ status: 200, body: 'body{}\n' });
  });

  it.each(['/setup/', '/setup/index.php', '/libraries/config.default.php', '/.storestack-sha256'])(
    'denies %s',
    async (path) => {
      const { status, body } = await get(path);
      expect(status).toBe(403);
      expect(body).not.toContain('EXECUTED');
    },
  );
});
