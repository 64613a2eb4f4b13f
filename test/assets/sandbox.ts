// The sandbox the suites run rendered scripts in: a temporary root whose bin directory holds the
// stubs and a few real tools (and is the whole PATH), a call log every stub appends to, and the
// stubs' state. Each suite brings its own stubs, state layout and locations.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BASH, required, stateKey, stubScript } from './stubbed-commands.ts';

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TimedRunResult extends RunResult {
  /** Wall-clock time of the run, in milliseconds. */
  readonly elapsedMs: number;
}

export interface StubSandboxSetup {
  /** The temporary root's name, before mkdtemp's random suffix. */
  readonly prefix: string;
  /** Resolves the root's real path (a script that resolves links with readlink -f compares them). */
  readonly realpath?: boolean;
  /** The stubbed commands: name -> body, after the line that logs the call. */
  readonly stubs: Readonly<Record<string, string>>;
  /** The real tools the scripts and the stubs may use, linked into bin. */
  readonly realTools: readonly string[];
  /** Directories to create under the state directory. */
  readonly stateDirs?: readonly string[];
  /** Empty files to create under the state directory. */
  readonly stateFiles?: readonly string[];
}

/** A temporary root with the stubs on PATH, the call log and the stubs' state. */
export class StubSandbox {
  readonly root: string;
  readonly bin: string;
  readonly state: string;
  readonly log: string;

  constructor(setup: StubSandboxSetup) {
    const root = mkdtempSync(join(tmpdir(), setup.prefix));
    this.root = setup.realpath ? realpathSync(root) : root;
    this.bin = join(this.root, 'bin');
    this.state = join(this.root, 'state');
    this.log = join(this.root, 'calls.log');
    for (const dir of [this.bin, this.state, ...(setup.stateDirs ?? []).map((name) => join(this.state, name))]) {
      mkdirSync(dir, { recursive: true });
    }
    for (const file of setup.stateFiles ?? []) writeFileSync(join(this.state, file), '');
    writeFileSync(this.log, '');
    for (const [name, body] of Object.entries(setup.stubs)) this.addStub(name, body);
    for (const tool of setup.realTools) symlinkSync(required(tool), join(this.bin, tool));
  }

  /** Puts a stub on PATH (or replaces one). */
  addStub(name: string, body: string): void {
    writeFileSync(join(this.bin, name), stubScript(body), { mode: 0o755 });
  }

  /** Marks a package as installed, for the rpm stub. */
  install(name: string): void {
    writeFileSync(join(this.state, 'installed'), `${name}\n`, { flag: 'a' });
  }

  /** Every stubbed command run so far, as "<name> <arguments>". */
  calls(): string[] {
    return readFileSync(this.log, 'utf8').split('\n').filter(Boolean);
  }

  callsOf(name: string): string[] {
    return this.calls().filter((call) => call === name || call.startsWith(`${name} `));
  }

  clearCalls(): void {
    writeFileSync(this.log, '');
  }

  /** The raw call log, for searching it for secrets. */
  callLog(): string {
    return readFileSync(this.log, 'utf8');
  }

  read(file: string): string | undefined {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  /** Writes a file under the sandbox, creating its directories. */
  write(file: string, content: string, mode = 0o644): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content, { mode });
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Writes `script` as root/`name` and runs it with bash, the stubs alone on PATH; `env` adds or overrides. */
  protected async execute(name: string, script: string, env: Record<string, string>): Promise<RunResult> {
    const { status, stdout, stderr } = await this.executeTimed(name, script, env);
    return { status, stdout, stderr };
  }

  /** {@link execute}, timed. */
  protected executeTimed(name: string, script: string, env: Record<string, string>): Promise<TimedRunResult> {
    const file = join(this.root, name);
    writeFileSync(file, script, { mode: 0o755 });
    const started = performance.now();
    const child = spawn(BASH, [file], {
      env: { PATH: this.bin, STUB_LOG: this.log, STUB_STATE: this.state, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr, elapsedMs: performance.now() - started }));
    });
  }
}

/** A sandbox whose aws stub answers from ssm/<name> and secrets/<arn> (see AWS_PARAMETERS_STUB). */
export class AwsStubSandbox extends StubSandbox {
  /** An SSM parameter, as aws ssm get-parameter returns it. */
  setParameter(name: string, value: string): void {
    writeFileSync(join(this.state, 'ssm', stateKey(name)), value);
  }

  /** Removes an SSM parameter: aws then answers ParameterNotFound. */
  removeParameter(name: string): void {
    rmSync(join(this.state, 'ssm', stateKey(name)));
  }

  /** What aws secretsmanager get-secret-value returns for a secret. */
  setSecret(arn: string, value: string): void {
    writeFileSync(join(this.state, 'secrets', stateKey(arn)), value);
  }
}

/**
 * A sandbox that also mounts shares: the mount, mountpoint and findmnt stubs keep mounted
 * ("<mount point> <source> <type>" per share), mount-fail/<source> and mount-hang/<dir>.
 */
export class MountingStubSandbox extends AwsStubSandbox {
  /** Mount attempts of this source fail `times` times (or always) before one succeeds. */
  failMount(source: string, times: number | 'always'): void {
    writeFileSync(join(this.state, 'mount-fail', stateKey(source)), `${times}\n`);
  }

  /** Looking at this mounted directory never returns (its file server is gone). */
  hangMountPoint(mountPoint: string): void {
    writeFileSync(join(this.state, 'mount-hang', stateKey(mountPoint)), '');
  }

  /** Marks a directory as mounted, as if mounted before this run. */
  addMount(mountPoint: string, source: string, type: string): void {
    mkdirSync(mountPoint, { recursive: true });
    writeFileSync(join(this.state, 'mounted'), `${mountPoint} ${source} ${type}\n`, { flag: 'a' });
  }

  /** The mounted shares: mount point -> source. */
  mounted(): Map<string, string> {
    const lines = readFileSync(join(this.state, 'mounted'), 'utf8').split('\n').filter(Boolean);
    return new Map(lines.map((line) => line.split(' ') as [string, string]));
  }
}
