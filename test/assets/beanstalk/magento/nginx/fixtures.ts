// A miniature of a Magento instance on Beanstalk's Amazon Linux 2023 PHP platform, under a temp
// directory: the platform's nginx layout (/etc/nginx/nginx.conf with conf.d/*.conf in http{} and
// conf.d/elasticbeanstalk/*.conf in its server{}; the platform's own php.conf, which the bundle's
// replaces; the php-fpm upstream), a fixture Magento release in /var/app/current, and the statics
// and media shares. The real nginx and php-fpm serve it on loopback, as the current user.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { BundleFile, MagentoNginxProps } from '../../../../../src/assets/beanstalk/magento/nginx/render.ts';

const IS_ROOT = process.getuid?.() === 0;
// Where Debian and Amazon Linux keep the daemons; a non-root PATH often lacks them.
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** The first `name` (or name matching `pattern`) executable on PATH or in the sbin directories. */
export function findExecutable(pattern: RegExp): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SBIN_DIRS].filter(Boolean);
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((candidate) => pattern.test(candidate)).sort()) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {}
    }
  }
  return undefined;
}

/** nginx, or a failure that says which package to install. Never a skip. */
export function requireNginx(): string {
  const found = findExecutable(/^nginx$/);
  if (!found) {
    throw new Error(
      'nginx is not installed, and this test runs the real nginx: install it (Debian: apt-get install nginx; ' +
        'Amazon Linux: dnf install nginx) and run the tests again',
    );
  }
  return found;
}

/** php-fpm (Debian names it php-fpm8.2), or a failure that says which package to install. */
export function requirePhpFpm(): string {
  const found = findExecutable(/^php-fpm(?:[0-9]+(?:\.[0-9]+)?)?$/);
  if (!found) {
    throw new Error(
      'php-fpm is not installed, and this test runs the real php-fpm: install it (Debian: apt-get install ' +
        'php8.2-fpm; Amazon Linux: dnf install php-fpm) and run the tests again',
    );
  }
  return found;
}

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The fixture's PHP: each entry point says who it is, so a test knows which script ran. */
const PHP_FILES: Record<string, string> = {
  'pub/index.php':
    '<?php\nheader(\'Content-Type: text/plain\');\necho "front controller\\n";\n' +
    "echo 'REQUEST_URI=' . $_SERVER['REQUEST_URI'] . \"\\n\";\n" +
    "echo 'memory_limit=' . ini_get('memory_limit') . \"\\n\";\n" +
    "echo 'max_execution_time=' . ini_get('max_execution_time') . \"\\n\";\n" +
    "echo 'body_bytes=' . strlen(file_get_contents('php://input')) . \"\\n\";\n",
  'pub/health_check.php': "<?php\nhttp_response_code(200);\necho 'ok';\n",
  'pub/get.php':
    '<?php\nheader(\'Content-Type: text/plain\');\necho "get.php\\n";\n' +
    "echo 'REQUEST_URI=' . $_SERVER['REQUEST_URI'] . \"\\n\";\n" +
    "echo 'SCRIPT_NAME=' . $_SERVER['SCRIPT_NAME'] . \"\\n\";\n",
  'pub/static.php':
    "<?php\nheader('Content-Type: text/plain');\necho 'static.php resource=' . ($_GET['resource'] ?? '') . \"\\n\";\n",
  'pub/errors/report.php': "<?php\necho 'errors/report.php';\n",
  'pub/errors/404.php': "<?php\nhttp_response_code(404);\necho 'errors/404.php';\n",
  'pub/errors/503.php': "<?php\nhttp_response_code(503);\necho 'errors/503.php';\n",
  'pub/errors/processor.php': "<?php\necho 'EXECUTED errors/processor.php';\n",
  'pub/errors/default/page.phtml': "<?php echo 'EXECUTED page.phtml'; ?>\n",
  'pub/evil.php': "<?php\necho 'EXECUTED';\n",
  'pub/cron.php': "<?php\necho 'EXECUTED cron';\n",
  'app/etc/env.php': "<?php\nreturn ['db' => ['password' => 'env-php-secret']];\n",
  'vendor/autoload.php': "<?php\necho 'EXECUTED autoload';\n",
};

const OTHER_FILES: Record<string, string> = {
  'pub/.htaccess': 'htaccess-secret\n',
  'pub/robots.txt': 'User-agent: *\n',
  'pub/errors/local.xml': '<config><report><email_address>errors-local-secret</email_address></report></config>\n',
  'pub/errors/default/css/styles.css': 'error-skin-css\n',
  'var/log/system.log': 'system-log-secret\n',
  '.git/config': 'git-secret\n',
};

export interface SandboxOptions {
  /** The main config as the test wants it: `root` in the server block, as some platform versions have. */
  readonly rootInServerBlock?: boolean;
}

export class MagentoInstance {
  readonly root = mkdtempSync(join(tmpdir(), 'storestack-magento-nginx-'));
  readonly nginxDir = join(this.root, 'etc/nginx');
  readonly confD = join(this.nginxDir, 'conf.d');
  readonly ebConfD = join(this.confD, 'elasticbeanstalk');
  readonly mainConf = join(this.nginxDir, 'nginx.conf');
  readonly release = join(this.root, 'var/app/current');
  readonly documentRoot = join(this.release, 'pub');
  readonly staticsRoot = join(this.root, 'mnt/storestack/magento-statics');
  readonly mediaRoot = join(this.root, 'mnt/storestack/client-media');
  readonly phpFpmSocket = join(this.root, 'run/php-fpm/www.sock');
  readonly logs = join(this.root, 'var/log');
  private readonly children: ChildProcess[] = [];
  port = 0;

  constructor() {
    for (const dir of [this.ebConfD, dirname(this.phpFpmSocket), join(this.logs, 'nginx'), join(this.root, 'tmp')]) {
      mkdirSync(dir, { recursive: true });
    }
    this.writeRelease();
    this.writeShares();
  }

  /** The props a Magento instance of this sandbox renders its rules with. */
  props(overrides: Partial<MagentoNginxProps> = {}): MagentoNginxProps {
    return {
      staticsRoot: this.staticsRoot,
      mediaRoot: this.mediaRoot,
      healthCheckPath: '/pub/health_check.php',
      phpFpmSocket: this.phpFpmSocket,
      clientMaxBodySize: '2m',
      documentRoot: this.documentRoot,
      fastcgiReadTimeoutSeconds: 30,
      ...overrides,
    };
  }

  write(path: string, content: string): void {
    const file = join(this.root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }

  private writeRelease(): void {
    for (const [path, content] of Object.entries({ ...PHP_FILES, ...OTHER_FILES })) {
      this.write(join('var/app/current', path), content);
    }
    // The release's pub/static is a link to its statics (the release's own version directory).
    // No pub/media link at all: the rules serve media from the share itself.
    symlinkSync(join(this.staticsRoot, 'version101'), join(this.documentRoot, 'static'));
  }

  private writeShares(): void {
    const statics: Record<string, string> = {
      'version100/x.css': 'release 100\n',
      'version101/x.css': 'release 101\n',
      'version101/frontend/Client/dlm/fr_FR/fonts/a.woff2': 'font-bytes',
      'version101/evil.php': "<?php echo 'EXECUTED';\n",
      'version101/.htaccess': 'statics-htaccess-secret\n',
    };
    for (const [path, content] of Object.entries(statics))
      this.write(join('mnt/storestack/magento-statics', path), content);
    const media: Record<string, string> = {
      'catalog/product/a.jpg': 'JPEG product a',
      'catalog/product/cache/0f1e2d/a/b/ab.jpg': 'JPEG resized ab',
      '.renditions/wysiwyg/banner.jpg': 'JPEG rendition banner',
      '.renditions/.secret': 'rendition-dotfile-secret',
      '.htaccess': 'media-htaccess-secret',
      'customer/b/a/ba.pdf': 'customer-file-secret',
      'import/products.csv': 'import-secret',
      'export/report.csv': 'csv,report',
      'evil.php': "<?php echo 'EXECUTED';\n",
    };
    for (const [path, content] of Object.entries(media)) this.write(join('mnt/storestack/client-media', path), content);
  }

  /**
   * The platform's nginx: main config, the php-fpm upstream, healthd's snippet and its own
   * php.conf (root, index, and every .php to php-fpm). Then the bundle's files are copied over
   * conf.d/elasticbeanstalk/ by name, as the platform copies .platform/nginx over /etc/nginx.
   */
  writeNginx(bundle: readonly BundleFile[], options: SandboxOptions = {}): void {
    for (const name of ['mime.types', 'fastcgi_params']) {
      const system = join('/etc/nginx', name);
      if (!existsSync(system)) throw new Error(`${system} is missing: install nginx (apt-get install nginx)`);
      copyFileSync(system, join(this.nginxDir, name));
    }
    const tmp = join(this.root, 'tmp');
    writeFileSync(
      this.mainConf,
      [
        IS_ROOT ? 'user root;' : '',
        'worker_processes 1;',
        `error_log ${join(this.logs, 'nginx/error.log')} info;`,
        `pid ${join(this.root, 'run/nginx.pid')};`,
        'events { worker_connections 128; }',
        'http {',
        '    include mime.types;',
        '    default_type application/octet-stream;',
        `    access_log ${join(this.logs, 'nginx/access.log')};`,
        `    client_body_temp_path ${tmp}/client_body;`,
        `    fastcgi_temp_path ${tmp}/fastcgi;`,
        `    proxy_temp_path ${tmp}/proxy;`,
        `    uwsgi_temp_path ${tmp}/uwsgi;`,
        `    scgi_temp_path ${tmp}/scgi;`,
        '    include conf.d/*.conf;',
        '    server {',
        `        listen 127.0.0.1:${this.port || 8080} default_server;`,
        '        client_header_timeout 60;',
        '        client_body_timeout 60;',
        '        keepalive_timeout 60;',
        '        gzip off;',
        '        gzip_comp_level 4;',
        options.rootInServerBlock ? `        root ${this.documentRoot};` : '',
        '        # Include the Elastic Beanstalk generated locations',
        '        include conf.d/elasticbeanstalk/*.conf;',
        '    }',
        '}',
        '',
      ]
        .filter((line) => line !== '')
        .join('\n'),
    );
    writeFileSync(join(this.confD, 'php-fpm.conf'), `upstream php-fpm {\n    server unix:${this.phpFpmSocket};\n}\n`);
    writeFileSync(join(this.ebConfD, 'healthd.conf'), `access_log ${join(this.logs, 'nginx/healthd.log')};\n`);
    writeFileSync(
      join(this.ebConfD, 'php.conf'),
      [
        options.rootInServerBlock ? '' : `root ${this.documentRoot};`,
        'index index.php index.html index.htm;',
        'location ~ \\.(php|phar)(/.*)?$ {',
        '    fastcgi_split_path_info ^(.+\\.(?:php|phar))(/.*)$;',
        '    fastcgi_intercept_errors on;',
        '    fastcgi_index index.php;',
        '    include fastcgi_params;',
        '    fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;',
        '    fastcgi_param PATH_INFO $fastcgi_path_info;',
        '    fastcgi_pass php-fpm;',
        '}',
        '',
      ].join('\n'),
    );
    for (const file of bundle) {
      const prefix = '.platform/nginx/conf.d/elasticbeanstalk/';
      if (!file.path.startsWith(prefix)) throw new Error(`bundle file ${file.path} is not under ${prefix}`);
      writeFileSync(join(this.ebConfD, basename(file.path)), file.content);
    }
  }

  /** `nginx -t` on the sandbox's config, as Beanstalk runs it before it switches nginx over. */
  testNginxConfig(): { status: number | null; output: string } {
    const result = spawnSync(requireNginx(), this.nginxArgs('-t'), { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  private nginxArgs(...extra: string[]): string[] {
    return ['-p', `${this.root}/`, '-e', join(this.logs, 'nginx/error.log'), '-c', this.mainConf, ...extra];
  }

  /** php-fpm with no php.ini (-n), so only the release's .user.ini and PHP's defaults apply. */
  async startPhpFpm(): Promise<void> {
    const binary = requirePhpFpm();
    const conf = join(this.root, 'etc/php-fpm.conf');
    writeFileSync(
      conf,
      [
        '[global]',
        `pid = ${join(this.root, 'run/php-fpm.pid')}`,
        `error_log = ${join(this.logs, 'php-fpm.log')}`,
        'daemonize = no',
        '[www]',
        IS_ROOT ? 'user = root\ngroup = root' : '',
        `listen = ${this.phpFpmSocket}`,
        'listen.mode = 0666',
        'pm = static',
        'pm.max_children = 2',
        'catch_workers_output = yes',
        '',
      ]
        .filter((line) => line !== '')
        .join('\n'),
    );
    const args = ['-n', '-F', '-y', conf, ...(IS_ROOT ? ['-R'] : [])];
    this.start(binary, args, 'php-fpm');
    await this.waitFor('php-fpm', () => existsSync(this.phpFpmSocket), join(this.logs, 'php-fpm.log'));
  }

  async startNginx(): Promise<void> {
    this.start(requireNginx(), this.nginxArgs('-g', 'daemon off;'), 'nginx');
    await this.waitFor(
      'nginx',
      async () => {
        try {
          await fetch(this.url('/robots.txt'));
          return true;
        } catch {
          return false;
        }
      },
      join(this.logs, 'nginx/error.log'),
    );
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  private start(binary: string, args: string[], name: string): void {
    const out = join(this.logs, `${name}.stdout.log`);
    writeFileSync(out, '');
    // Its own process group, so stop() ends it and every worker it forked.
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => writeFileSync(out, chunk, { flag: 'a' }));
    this.children.push(child);
  }

  private async waitFor(name: string, ready: () => boolean | Promise<boolean>, log: string): Promise<void> {
    const child = this.children.at(-1);
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await ready()) return;
      if (child && child.exitCode !== null) break;
      await delay(100);
    }
    const logText = existsSync(log) ? readFileSync(log, 'utf8') : '(no log)';
    const stderr = readFileSync(join(this.logs, `${name}.stdout.log`), 'utf8');
    throw new Error(`${name} did not start (exit code ${child?.exitCode}):\n${stderr}\n${logText}`);
  }

  /** Ends every server this sandbox started (their whole process groups), then removes the tree. */
  async stop(): Promise<void> {
    for (const child of this.children) {
      if (child.pid === undefined || child.exitCode !== null) continue;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      const timedOut = await Promise.race([exited.then(() => false), delay(5000).then(() => true)]);
      if (timedOut) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
        await exited;
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
