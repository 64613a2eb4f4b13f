// The rehearsal's daemons as processes: started detached (they outlive `storestack rehearse up`),
// their output in a log file, ready when a check says so; stopped by pid, TERM first, KILL when
// they linger. Every daemon runs in the foreground mode of its program, so its pid is the one to
// stop and nothing forks away from it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface DaemonSpec {
  /** What the messages call it: `mariadb`, `redis-cache`, `nginx frontend 1`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Standard output and error go here (appended). */
  readonly log: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolves true once the daemon serves (a port answers, a socket exists). */
  readonly ready: () => Promise<boolean> | boolean;
  /** @default 15000 */
  readonly readyTimeoutMs?: number;
}

export interface RunningDaemon {
  readonly name: string;
  readonly pid: number;
}

/**
 * Starts the daemon detached from this process and waits until it is ready. If it exits or is
 * not ready in time, it is stopped and the error carries the tail of its log.
 */
export async function startDaemon(spec: DaemonSpec): Promise<RunningDaemon> {
  mkdirSync(dirname(spec.log), { recursive: true });
  const out = openSync(spec.log, 'a');
  let exited: string | undefined;
  let pid: number | undefined;
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.once('exit', (code, signal) => {
      exited = signal ? `was ended by ${signal}` : `exited with ${code}`;
    });
    child.once('error', (error) => {
      exited = `could not start (${error.message})`;
    });
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(out);
  }
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (exited) throw new Error(`${spec.name} ${exited}:\n${logTail(spec.log)}`);
    if (pid !== undefined && (await spec.ready())) return { name: spec.name, pid };
    if (Date.now() > deadline) {
      if (pid !== undefined) await stopDaemon({ name: spec.name, pid });
      throw new Error(
        `${spec.name} was not ready within ${(spec.readyTimeoutMs ?? 15_000) / 1000} s:\n${logTail(spec.log)}`,
      );
    }
    await delay(50);
  }
}

/** Whether a process with this pid exists (and is not a zombie of ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A zombie (exited, not yet reaped) counts as gone.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** TERM, then KILL after `graceMs`; resolves once the process is gone. */
export async function stopDaemon(daemon: RunningDaemon, graceMs = 5000): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(daemon.pid, name);
    } catch {}
  };
  if (!isAlive(daemon.pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(daemon.pid)) {
    if (Date.now() > deadline) {
      signal('SIGKILL');
      // KILL cannot be refused; give the kernel a moment.
      for (let i = 0; i < 100 && isAlive(daemon.pid); i++) await delay(20);
      if (isAlive(daemon.pid)) throw new Error(`${daemon.name} (pid ${daemon.pid}) survived SIGKILL`);
      return;
    }
    await delay(25);
  }
}

/** Whether something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The last `lines` lines of a log file (empty when it does not exist). */
export function logTail(file: string, lines = 20): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
