// The rehearsal's instances as they serve: per instance an nginx and a php-fpm, under the instance's
// root, on its own loopback address, serving whatever release `var/app/current` points at through the
// REAL rules of the Magento bundle (src/assets/beanstalk/magento/nginx/render.ts), included in a
// server block as Beanstalk's PHP platform includes them.
//
// The release switch is a swap of the `current` link (pointCurrentAt: a new link renamed over the
// old one, atomic), and nothing is reloaded. What makes the next request run the new release:
// - nginx: the rules' root is the link's path (`<root>/var/app/current/pub`) and SCRIPT_FILENAME is
//   `$document_root$fastcgi_script_name`, the unresolved path; nginx resolves nothing itself
//   (open_file_cache is off), so every request names the link and the kernel follows it.
// - php-fpm: PHP resolves the script's path once per request (its __FILE__, __DIR__ and so its
//   includes are in the release the link pointed at then, never a mix), BUT through its realpath
//   cache, which keeps `current -> releases/<old>` for realpath_cache_ttl (120 s) in each worker.
//   So php-fpm runs with `realpath_cache_size=0` (no cache). Opcache is not loaded (`-n`: no
//   php.ini, no conf.d), so no compiled script outlives its file either. A release's .user.ini is
//   read per directory path, cached user_ini.cache_ttl seconds: set to 0, a changed .user.ini
//   takes effect within the second.
// Beanstalk itself swaps a directory and restarts php-fpm; the rehearsal's link swap is stricter:
// requests in flight finish on the release they started on, the next ones run the new release.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { renderMagentoNginx } from '../assets/beanstalk/magento/nginx/render.ts';
import type { RehearsalInstance, RehearsalLayout } from './layout.ts';
import { portOpen, type RunningDaemon, startDaemon, stopDaemon } from './process.ts';
import { requireProgram } from './programs.ts';

const IS_ROOT = process.getuid?.() === 0;

/**
 * The extensions php-fpm loads (with `-n`, Debian's conf.d is not read), in the order their
 * dependencies need: pdo_mysql needs mysqlnd and pdo; Debian's redis needs igbinary.
 */
export const PHP_EXTENSIONS: readonly string[] = ['mysqlnd', 'pdo', 'pdo_mysql', 'igbinary', 'redis'];

/** PHP settings of every worker (see the header: the release switch depends on the first two). */
export const PHP_SETTINGS: Readonly<Record<string, string>> = {
  realpath_cache_size: '0',
  'user_ini.cache_ttl': '0',
};

export interface InstanceServingOptions {
  /** The load balancer's health check path, e.g. `/pub/health_check.php`. */
  readonly healthCheckPath: string;
  /** @default '64m' */
  readonly clientMaxBodySize?: string;
  /** How long nginx waits for PHP; php-fpm ends a request after this plus 5 s. @default 60 */
  readonly fastcgiReadTimeoutSeconds?: number;
  /** php-fpm's workers (pm = static). @default 4 */
  readonly phpWorkers?: number;
  /** More extensions to load after PHP_EXTENSIONS (names under /usr/lib/php/<api>/). */
  readonly phpExtensions?: readonly string[];
  /** More `-d` settings (they win over PHP_SETTINGS). */
  readonly phpSettings?: Readonly<Record<string, string>>;
}

/** The files of an instance's nginx and php-fpm, beside the layout's. */
export interface InstanceFiles {
  readonly nginxDir: string;
  /** The bundle's rules, where the platform puts them: conf.d/elasticbeanstalk/php.conf. */
  readonly nginxRulesDir: string;
  readonly nginxPid: string;
  readonly nginxErrorLog: string;
  readonly nginxAccessLog: string;
  readonly nginxOutput: string;
  readonly phpFpmPid: string;
  readonly phpFpmLog: string;
  readonly tmp: string;
}

export function instanceFiles(instance: RehearsalInstance): InstanceFiles {
  const nginxDir = dirname(instance.nginxConfig);
  return {
    nginxDir,
    nginxRulesDir: join(nginxDir, 'conf.d/elasticbeanstalk'),
    nginxPid: join(instance.run, 'nginx.pid'),
    nginxErrorLog: join(instance.logs, 'nginx/error.log'),
    nginxAccessLog: join(instance.logs, 'nginx/access.log'),
    nginxOutput: join(instance.logs, 'nginx/nginx.out'),
    phpFpmPid: join(instance.run, 'php-fpm.pid'),
    phpFpmLog: join(instance.logs, 'php-fpm.log'),
    tmp: join(instance.root, 'tmp'),
  };
}

/** An executable among `candidates`, or an error naming the Debian package that installs it. */
export function requireNginx(): string {
  return requireProgram('nginx');
}

export function requirePhpFpm(): string {
  return requireProgram('php-fpm8.2');
}

function nginxArgs(instance: RehearsalInstance, ...extra: string[]): string[] {
  const files = instanceFiles(instance);
  return ['-p', `${instance.root}/`, '-e', files.nginxErrorLog, '-c', instance.nginxConfig, ...extra];
}

function phpFpmArgs(instance: RehearsalInstance, options: InstanceServingOptions): string[] {
  const settings = { ...PHP_SETTINGS, ...options.phpSettings };
  const extensions = [...PHP_EXTENSIONS, ...(options.phpExtensions ?? [])];
  return [
    '-n',
    '-F',
    '-y',
    instance.phpFpmConfig,
    ...(IS_ROOT ? ['-R'] : []),
    ...extensions.flatMap((extension) => ['-d', `extension=${extension}`]),
    ...Object.entries(settings).flatMap(([name, value]) => ['-d', `${name}=${value}`]),
  ];
}

/**
 * Writes an instance's skeleton and configuration: `var/app/releases/`, the logs (the engine log
 * created empty), run/ and tmp/; nginx's main config with the bundle's rules; php-fpm's config.
 * `var/app/current` is left as it is: it may not exist yet (nginx starts, requests fail).
 */
export function writeInstanceConfig(
  layout: RehearsalLayout,
  instance: RehearsalInstance,
  options: InstanceServingOptions,
): void {
  const files = instanceFiles(instance);
  for (const dir of [
    instance.releases,
    instance.logs,
    dirname(files.nginxErrorLog),
    instance.run,
    files.tmp,
    files.nginxRulesDir,
    dirname(instance.phpFpmConfig),
    dirname(instance.engineLog),
  ]) {
    mkdirSync(dir, { recursive: true });
  }
  if (!existsSync(instance.engineLog)) writeFileSync(instance.engineLog, '');
  const timeout = options.fastcgiReadTimeoutSeconds ?? 60;
  const rules = renderMagentoNginx({
    staticsRoot: layout.shares.statics,
    mediaRoot: layout.shares.media,
    healthCheckPath: options.healthCheckPath,
    phpFpmSocket: instance.phpFpmSocket,
    clientMaxBodySize: options.clientMaxBodySize ?? '64m',
    // The link's path, not where it points: see the header.
    documentRoot: join(instance.current, 'pub'),
    fastcgiReadTimeoutSeconds: timeout,
  });
  for (const file of rules) writeFileSync(join(files.nginxRulesDir, basename(file.path)), file.content);

  const mimeTypes = '/etc/nginx/mime.types';
  if (!existsSync(mimeTypes)) throw new Error(`${mimeTypes} is missing: install nginx (Debian: apt-get install nginx)`);
  writeFileSync(
    instance.nginxConfig,
    [
      `# ${instance.name} (${instance.id}) of the rehearsal, generated by src/rehearsal/instances.ts.`,
      // Workers as root only when the master is root (nginx refuses `user` otherwise).
      ...(IS_ROOT ? ['user root;'] : []),
      'worker_processes 1;',
      `error_log ${files.nginxErrorLog} info;`,
      `pid ${files.nginxPid};`,
      'events { worker_connections 512; }',
      'http {',
      `    include ${mimeTypes};`,
      '    default_type application/octet-stream;',
      `    access_log ${files.nginxAccessLog};`,
      `    client_body_temp_path ${files.tmp}/client_body;`,
      `    fastcgi_temp_path ${files.tmp}/fastcgi;`,
      `    proxy_temp_path ${files.tmp}/proxy;`,
      `    uwsgi_temp_path ${files.tmp}/uwsgi;`,
      `    scgi_temp_path ${files.tmp}/scgi;`,
      '    server {',
      // As the Beanstalk platform's server block: the rules come in by include, nothing else.
      `        listen ${instance.address}:${instance.port} default_server;`,
      '        client_header_timeout 60;',
      '        client_body_timeout 60;',
      '        keepalive_timeout 60;',
      '        gzip off;',
      `        include ${files.nginxRulesDir}/*.conf;`,
      '    }',
      '}',
      '',
    ].join('\n'),
  );

  const workers = options.phpWorkers ?? 4;
  writeFileSync(
    instance.phpFpmConfig,
    [
      `; ${instance.name} (${instance.id}) of the rehearsal, generated by src/rehearsal/instances.ts.`,
      '[global]',
      `pid = ${files.phpFpmPid}`,
      `error_log = ${files.phpFpmLog}`,
      'daemonize = no',
      '[www]',
      ...(IS_ROOT ? ['user = root', 'group = root'] : []),
      `listen = ${instance.phpFpmSocket}`,
      'listen.mode = 0666',
      'pm = static',
      `pm.max_children = ${workers}`,
      // A request nginx has given up on (fastcgi_read_timeout) does not hold a worker much longer.
      `request_terminate_timeout = ${timeout + 5}s`,
      'catch_workers_output = yes',
      'decorate_workers_output = no',
      '',
    ].join('\n'),
  );
}

/** `nginx -t` on the instance's configuration; throws with nginx's output when it fails. */
export function testInstanceNginx(instance: RehearsalInstance): void {
  const result = spawnSync(requireNginx(), nginxArgs(instance, '-t'), { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `nginx -t for ${instance.name} (${instance.nginxConfig}) failed (${result.error?.message ?? `exit ${result.status}`}):\n` +
        `${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd(),
    );
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Writes the instance's configuration (writeInstanceConfig), checks nginx's (`nginx -t`), then
 * starts php-fpm (ready when its socket accepts connections) and nginx (ready when its address
 * accepts connections). Resolves with both daemons, php-fpm first; a failure stops what started.
 */
export async function startInstance(
  layout: RehearsalLayout,
  instance: RehearsalInstance,
  options: InstanceServingOptions,
): Promise<RunningDaemon[]> {
  writeInstanceConfig(layout, instance, options);
  testInstanceNginx(instance);
  const files = instanceFiles(instance);
  // A socket left by a php-fpm that did not end cleanly would pass for a ready one.
  rmSync(instance.phpFpmSocket, { force: true });
  const phpFpm = await startDaemon({
    name: `php-fpm ${instance.name}`,
    command: requirePhpFpm(),
    args: phpFpmArgs(instance, options),
    log: files.phpFpmLog,
    cwd: instance.root,
    ready: () => socketAnswers(instance.phpFpmSocket),
  });
  try {
    const nginx = await startDaemon({
      name: `nginx ${instance.name}`,
      command: requireNginx(),
      args: nginxArgs(instance, '-g', 'daemon off;'),
      log: files.nginxOutput,
      cwd: instance.root,
      ready: () => portOpen(instance.address, instance.port),
    });
    return [phpFpm, nginx];
  } catch (error) {
    await stopDaemon(phpFpm);
    throw error;
  }
}

/** Stops an instance's daemons, the last started first (nginx, then php-fpm). */
export async function stopInstance(daemons: readonly RunningDaemon[]): Promise<void> {
  for (const daemon of [...daemons].reverse()) await stopDaemon(daemon);
}

/**
 * Points the instance's `current` link at `releases/<label>` atomically: a new link beside it,
 * renamed over the old one. Requests in flight finish on the old release; the next run the new one.
 */
export function pointCurrentAt(instance: RehearsalInstance, label: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(label) || label === '.' || label === '..') {
    throw new Error(`release label ${JSON.stringify(label)} must be a plain directory name`);
  }
  const target = join(instance.releases, label);
  if (!existsSync(target)) throw new Error(`${instance.name} has no release ${label} (${target})`);
  const next = `${instance.current}.next`;
  rmSync(next, { force: true });
  // Relative, as `releases/` is beside `current`: the tree can move.
  symlinkSync(join(basename(instance.releases), label), next);
  renameSync(next, instance.current);
}
