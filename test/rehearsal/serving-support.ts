// What the serving tests (HAProxy, the instances' nginx and php-fpm) share: a base port no other
// test file's daemons use, throwaway releases whose PHP says who answered, an HTTP client that can
// pick its source address, and a check that daemons and their workers are gone.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { RehearsalInstance, RehearsalLayout } from '../../src/rehearsal/layout.ts';

/**
 * A base port for `rehearsalLayout` in [first, first + 8000), chosen from this process's pid, whose
 * load balancer port (127.0.0.1) and instance port (every instance address) are free right now.
 * Each test file passes its own `first`, so that files running at once in other workers never
 * share the instances' addresses and port.
 */
export async function freeBasePort(first: number, instanceAddresses: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const base = first + ((process.pid + attempt * 7) % 400) * 20;
    const free = await Promise.all([
      canListen('127.0.0.1', base),
      ...instanceAddresses.map((address) => canListen(address, base + 80)),
    ]);
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no free base port between ${first} and ${first + 8000}`);
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** The flag file whose presence makes an instance's health check answer 500. */
export function unhealthyFlag(instance: RehearsalInstance): string {
  return join(instance.root, 'unhealthy');
}

export function setHealthy(instance: RehearsalInstance, healthy: boolean): void {
  if (healthy) rmSync(unhealthyFlag(instance), { force: true });
  else writeFileSync(unhealthyFlag(instance), '');
}

function write(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/**
 * A throwaway release in `releases/<label>/`: pub/index.php answers
 * `release=<label> included=<label of app/release.php> instance=<name> uri=<REQUEST_URI> xff=<X-Forwarded-For>`
 * after sleeping `?sleep=<ms>`; pub/health_check.php answers 200, or 500 while the instance's
 * unhealthy flag exists; pub/static.php says it ran.
 */
export function writeTestRelease(instance: RehearsalInstance, label: string): string {
  const dir = join(instance.releases, label);
  const php = (code: string) => `<?php\nheader('Content-Type: text/plain');\n${code}\n`;
  write(join(dir, 'app/release.php'), `<?php\nreturn ${JSON.stringify(label)};\n`);
  write(
    join(dir, 'pub/index.php'),
    php(
      [
        "if (isset($_GET['sleep'])) usleep((int) $_GET['sleep'] * 1000);",
        "$included = require __DIR__ . '/../app/release.php';",
        `echo 'release=${label} included=' . $included . ' instance=${instance.name.replace(' ', '_')}';`,
        "echo ' uri=' . $_SERVER['REQUEST_URI'] . ' xff=' . ($_SERVER['HTTP_X_FORWARDED_FOR'] ?? '-');",
        "echo ' extensions=' . implode(',', array_filter(['pdo_mysql', 'redis'], 'extension_loaded'));",
      ].join('\n'),
    ),
  );
  write(
    join(dir, 'pub/health_check.php'),
    php(
      `if (file_exists(${JSON.stringify(unhealthyFlag(instance))})) { http_response_code(500); echo 'unhealthy'; return; }\necho 'ok';`,
    ),
  );
  write(join(dir, 'pub/static.php'), php(`echo 'static.php release=${label} resource=' . ($_GET['resource'] ?? '');`));
  return dir;
}

/** A versioned static file on the statics share and a media file, so the shares' rules have something. */
export function writeShares(layout: RehearsalLayout): void {
  write(join(layout.shares.statics, 'version1/x.css'), 'versioned css\n');
  write(join(layout.shares.media, 'x.jpg'), 'media jpeg\n');
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One GET on a connection of its own, from `localAddress` when given (any 127.x address works). */
export function httpGet(url: string, options: { localAddress?: string; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, localAddress: options.localAddress }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: response.headers,
        }),
      );
      response.once('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`GET ${url}: no answer in time`)));
    req.once('error', reject);
    req.end();
  });
}

/** The pids of a process's children (its workers), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
