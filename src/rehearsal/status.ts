// `storestack rehearse status`: the daemons, each instance as the load balancer sees it and the
// release it runs, and whether maintenance is on.
import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { HaproxyRuntime } from './haproxy.ts';
import { HAPROXY_BACKENDS, rehearsalLayout } from './layout.ts';
import { isAlive } from './process.ts';
import { readState } from './rehearsal.ts';

export interface RehearsalStatus {
  readonly dir: string;
  readonly running: boolean;
  readonly startedAt?: string;
  readonly url?: string;
  readonly maintenance?: boolean;
  readonly daemons: readonly { name: string; pid: number; alive: boolean }[];
  readonly instances: readonly {
    id: string;
    name: string;
    address: string;
    state: string;
    health: string;
    release: string | undefined;
  }[];
}

export async function rehearsalStatus(dir: string): Promise<RehearsalStatus> {
  const state = readState(dir);
  const daemons = (state?.daemons ?? []).map((daemon) => ({ ...daemon, alive: isAlive(daemon.pid) }));
  if (!state || !daemons.some((daemon) => daemon.alive)) return { dir, running: false, daemons, instances: [] };
  const layout = rehearsalLayout(state.dir, { frontends: state.frontends, basePort: state.basePort });
  const haproxy = new HaproxyRuntime(layout.haproxy.socket);
  const servers = [
    ...(await haproxy.servers(HAPROXY_BACKENDS.frontend)),
    ...(await haproxy.servers(HAPROXY_BACKENDS.backOffice)),
  ];
  const release = (current: string) => {
    try {
      return `${basename(readlinkSync(current))} (${readFileSync(`${current}/RELEASE_ID`, 'utf8').trim()})`;
    } catch {
      return undefined;
    }
  };
  return {
    dir,
    running: true,
    startedAt: state.startedAt,
    url: layout.alb.url,
    maintenance: (await haproxy.maintenanceState()).on,
    daemons,
    instances: layout.instances.map((instance) => {
      const server = servers.find((candidate) => candidate.name === instance.id);
      return {
        id: instance.id,
        name: instance.name,
        address: `${instance.address}:${instance.port}`,
        state: server?.state ?? 'unknown',
        health: server?.health ?? 'unknown',
        release: release(instance.current),
      };
    }),
  };
}
