// `--env rehearsal`: the commands that release (build, release) target the running rehearsal
// exactly as they target AWS: the configuration with its `rehearsal` environment, and the
// rehearsal's platform adapter in place of the AWS one.
import { request } from 'node:http';
import { join } from 'node:path';
import type { OperationsAws } from '../aws/operations.ts';
import type { Platform } from '../config/schema.ts';
import { REHEARSAL_ENVIRONMENT, type RehearsalLayout } from './layout.ts';
import { rehearsalOperations } from './platform.ts';
import { REHEARSAL_NAT_ADDRESS, rehearsalPlatform, runningRehearsal } from './rehearsal.ts';

export { REHEARSAL_ENVIRONMENT };

/** Where the rehearsal lives: STORESTACK_REHEARSAL_DIR, else `.rehearsal` in the project. */
export function rehearsalDirectory(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.STORESTACK_REHEARSAL_DIR || join(projectRoot, '.rehearsal');
}

export interface RehearsalTarget {
  readonly platform: Platform;
  readonly aws: OperationsAws;
  readonly layout: RehearsalLayout;
  /** The release's smoke test, from the exempt "NAT" address to the load balancer. */
  readonly smokeTest: (url: string) => Promise<number>;
}

/** The running rehearsal as a release target; throws when none runs in `dir`. */
export function rehearsalTarget(dir: string, platform: Platform): RehearsalTarget {
  const running = runningRehearsal(dir);
  if (!running) throw new Error(`no rehearsal is running in ${dir}: start one with storestack rehearse up`);
  const rehearsal = rehearsalPlatform(platform, running.layout);
  return {
    platform: rehearsal,
    aws: rehearsalOperations(running.layout, rehearsal, running.state.rollout),
    layout: running.layout,
    smokeTest: (url) => statusFrom(REHEARSAL_NAT_ADDRESS, running.layout.alb.url, new URL(url).pathname),
  };
}

/** GET `base` + `path` from the local address `from`; resolves to the status. */
export async function statusFrom(from: string, base: string, path: string): Promise<number> {
  return (await getFrom(from, new URL(path, base).href)).status;
}

/** GET `url` from the local address `from` (another loopback address than the default). */
export function getFrom(from: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request(url, { localAddress: from, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    call.on('timeout', () => call.destroy(new Error(`${url}: no answer within 10 s`)));
    call.on('error', reject);
    call.end();
  });
}
