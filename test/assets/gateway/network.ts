// Loopback plumbing for running the rendered gateway with the real HAProxy: free ports, TCP
// servers standing in for the backend, a client that connects from a chosen source address, a
// tiny DNS server whose answer the test changes, and the haproxy process itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Where the gateway listens, and whence the whitelisted client connects. */
export const GATEWAY_ADDRESS = '127.0.0.1';
/** A source outside the whitelist. */
export const STRANGER_ADDRESS = '127.0.0.2';
/** Where the backends listen: another address, since they use the gateway's port numbers. */
export const BACKEND_ADDRESS = '127.0.0.3';
/** Where the backend moves to when it "re-registers" its name. */
export const MOVED_BACKEND_ADDRESS = '127.0.0.4';

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * `count` consecutive TCP ports free on every one of `hosts`, below Linux's ephemeral range (so
 * that no outgoing connection takes one meanwhile).
 */
export async function freePortBlock(count: number, hosts: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    const probes: Server[] = [];
    try {
      for (let port = base; port < base + count; port++) {
        for (const host of hosts) {
          const probe = createServer();
          await listen(probe, port, host);
          probes.push(probe);
        }
      }
      return base;
    } catch {
      // Taken: try another block.
    } finally {
      await Promise.all(probes.map(close));
    }
  }
  throw new Error(`test setup: no block of ${count} free ports on ${hosts.join(', ')}`);
}

/** TCP servers for the tests, all closed by `closeAll`. */
export class Backends {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();

  /** Echoes whatever it receives, and closes when the client does. */
  async echo(host: string, port: number): Promise<void> {
    await this.start(host, port, (socket) => {
      socket.on('error', () => {});
      socket.pipe(socket);
    });
  }

  /** Answers every connection with `text` and closes it. */
  async announce(host: string, port: number, text: string): Promise<void> {
    await this.start(host, port, (socket) => {
      socket.on('error', () => {});
      socket.end(text);
    });
  }

  private async start(host: string, port: number, onConnection: (socket: Socket) => void): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      onConnection(socket);
    });
    await listen(server, port, host);
    this.servers.push(server);
  }

  async closeAll(): Promise<void> {
    const servers = this.servers.splice(0);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await Promise.all(servers.map(close));
  }
}

export interface Exchange {
  /** Everything received before the connection closed. */
  readonly received: string;
  /** How it ended: the peer closed, an error (a reset), or the test gave up waiting. */
  readonly ending: 'closed' | 'error' | 'timeout';
  /** The error's code, such as ECONNRESET or ECONNREFUSED. */
  readonly errorCode?: string;
}

/**
 * Connects from `localAddress` to the gateway's `port`, sends `send`, and collects what comes back
 * until the connection closes or `timeoutMs` passes.
 */
export function exchange(
  port: number,
  options: { localAddress?: string; send?: string; timeoutMs?: number } = {},
): Promise<Exchange> {
  const { localAddress = GATEWAY_ADDRESS, send = '', timeoutMs = 3000 } = options;
  return new Promise((resolve) => {
    const socket = createConnection({ host: GATEWAY_ADDRESS, port, localAddress });
    let received = '';
    let settled = false;
    const finish = (ending: Exchange['ending'], errorCode?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(errorCode === undefined ? { received, ending } : { received, ending, errorCode });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.setEncoding('utf8');
    // Half-closing at once could reach HAProxy before its connection to the backend, which it then
    // abandons: the client closes its side only once the echo is back.
    socket.on('connect', () => {
      if (send !== '') socket.write(send);
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (send !== '' && received.length >= send.length) socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish('error', error.code));
    socket.on('close', () => finish('closed'));
  });
}

/** Retries `attempt` until `done` accepts its result, or fails after `timeoutMs` with the last result. */
export async function eventually<T>(
  attempt: () => Promise<T>,
  done: (result: T) => boolean,
  timeoutMs = 15000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (done(result) || Date.now() > deadline) return result;
    await delay(100);
  }
}

/** True once something accepts TCP connections on the gateway's `port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: GATEWAY_ADDRESS, port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * A DNS server on 127.0.0.1 that answers A queries for every name with `address` (TTL 1 s), or
 * NXDOMAIN while `address` is undefined. AAAA queries get no record.
 */
export class FakeDns {
  address: string | undefined;
  /** How many queries it answered. */
  queries = 0;
  private readonly socket: UdpSocket = createSocket('udp4');

  async start(): Promise<number> {
    this.socket.on('message', (query, peer) => {
      const reply = this.answer(query);
      if (reply) this.socket.send(reply, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  private answer(query: Buffer): Buffer | undefined {
    if (query.length < 17) return undefined;
    // The question: labels up to a zero byte, then its type and class.
    let end = 12;
    while (end < query.length && query[end] !== 0) end += (query[end] ?? 0) + 1;
    end += 5;
    if (end > query.length) return undefined;
    this.queries += 1;
    const question = query.subarray(12, end);
    const type = query.readUInt16BE(end - 4);
    const address = this.address;
    const records: Buffer[] = [];
    if (address !== undefined && type === 1) {
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      record.writeUInt16BE(1, 2); // A
      record.writeUInt16BE(1, 4); // IN
      record.writeUInt32BE(1, 6); // TTL
      record.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => {
        record.writeUInt8(Number(octet), 12 + i);
      });
      records.push(record);
    }
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // the query's id
    // A response, recursion desired and available; NXDOMAIN while the name has no address.
    header.writeUInt16BE(0x8180 | (address === undefined ? 3 : 0), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    return Buffer.concat([header, question, ...records]);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The real haproxy, in the foreground on a rendered configuration; `stop` ends it and its files. */
export class HaproxyProcess {
  output = '';
  private readonly dir: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(haproxy: string, config: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'storestack-haproxy-'));
    const file = join(this.dir, 'haproxy.cfg');
    writeFileSync(file, config);
    this.child = spawn(haproxy, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk) => {
      this.output += chunk;
    });
    this.child.stderr?.on('data', (chunk) => {
      this.output += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', () => resolve(null));
      this.child.on('exit', (code) => resolve(code));
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const stopped = await Promise.race([this.exited.then(() => true), delay(5000).then(() => false)]);
      if (!stopped) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
