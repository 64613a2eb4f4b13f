// storestack's launcher on the Rundeck build host, run against the real operations package (built
// as synthesis builds it, zipped as the CDK asset is), with the real unzip and Node.js; only aws
// is stubbed: the SSM parameter from state/parameter, the S3 objects from state/s3/<key>.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderStorestackLauncher } from '../../../src/assets/rundeck/render.ts';
import { buildOperationsPackage } from '../../../src/infra/ops/operations-package.ts';
import { samplePlatform } from '../../support.ts';
import { type RunResult, StubSandbox } from '../sandbox.ts';
import { BASH, required } from '../stubbed-commands.ts';

const PARAMETER = '/storestack/ops/storestack-package';
const BUCKET = 'cdk-hnb659fds-assets-123456789012-eu-west-3';
const FIRST = 'a'.repeat(64);
const SECOND = 'b'.repeat(64);

// aws ssm get-parameter --name <name> ... (state/ssm-error: fails with its text) and
// aws s3 cp --only-show-errors s3://<bucket>/<key> <file> (state/s3/<key>, else a 404).
const AWS_STUB = `
case "$1 $2" in
"ssm get-parameter")
  [[ $4 == "${PARAMETER}" ]] || { echo "stub aws: unexpected parameter $4" >&2; exit 4; }
  if [[ -f $STUB_STATE/ssm-error ]]; then cat "$STUB_STATE/ssm-error" >&2; exit 254; fi
  cat "$STUB_STATE/parameter" ;;
"s3 cp")
  key=\${4#s3://*/}
  [[ -f $STUB_STATE/s3/$key ]] || { echo "fatal error: An error occurred (404) when calling the HeadObject operation: Key \\"$key\\" does not exist" >&2; exit 1; }
  cat "$STUB_STATE/s3/$key" >"$5" ;;
*) echo "stub aws: unexpected call: $*" >&2; exit 4 ;;
esac`;

const REAL_TOOLS = ['cat', 'cut', 'find', 'flock', 'mktemp', 'mv', 'rm', 'sort', 'touch', 'unzip'];

class LauncherSandbox extends StubSandbox {
  readonly home: string;
  readonly packages: string;
  readonly launcher: string;

  constructor() {
    super({ prefix: 'storestack-launcher-', stubs: { aws: AWS_STUB }, realTools: REAL_TOOLS, stateDirs: ['s3'] });
    this.home = join(this.root, 'opt', 'storestack');
    this.packages = join(this.home, 'packages');
    mkdirSync(this.packages, { recursive: true });
    writeFileSync(join(this.packages, '.lock'), '');
    this.launcher = renderStorestackLauncher({
      packageParameter: PARAMETER,
      region: 'eu-west-3',
      nodeBinary: process.execPath,
    });
  }

  /** Publishes a package: the zip as an S3 object, its location in the parameter. */
  publish(key: string, zip: string): void {
    cpSync(zip, join(this.state, 's3', `${key}.zip`));
    writeFileSync(join(this.state, 'parameter'), `s3://${BUCKET}/${key}.zip\n`);
  }

  setParameter(value: string): void {
    writeFileSync(join(this.state, 'parameter'), `${value}\n`);
  }

  installed(): string[] {
    return readdirSync(this.packages).sort();
  }

  run(...args: string[]): Promise<RunResult> {
    const quoted = args.map((arg) => `'${arg}'`).join(' ');
    return this.execute('run.sh', `exec ${BASH} ${join(this.root, 'storestack')} ${quoted}\n`, {
      STORESTACK_HOME: this.home,
    });
  }

  writeLauncher(): void {
    writeFileSync(join(this.root, 'storestack'), this.launcher, { mode: 0o755 });
  }
}

describe("storestack's launcher on the build host", () => {
  let scratch: string;
  let goodZip: string;
  let otherZip: string;
  let sandbox: LauncherSandbox;

  /** Zips `dir` the way the CDK zips a directory asset: its files at the root of the archive. */
  function zip(dir: string, file: string): string {
    execFileSync(required('zip'), ['-q', '-r', '-X', file, '.'], { cwd: dir });
    return file;
  }

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'storestack-launcher-packages-'));
    const built = buildOperationsPackage(samplePlatform());
    goodZip = zip(built, join(scratch, 'good.zip'));
    const other = join(scratch, 'other');
    cpSync(built, other, { recursive: true });
    const platform = { ...samplePlatform(), project: 'otherstack' };
    writeFileSync(join(other, 'platform.json'), JSON.stringify(platform));
    otherZip = zip(other, join(scratch, 'other.zip'));
  });

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  beforeEach(() => {
    sandbox = new LauncherSandbox();
    sandbox.writeLauncher();
  });

  afterEach(() => {
    sandbox.remove();
  });

  it('installs the package the parameter names, then runs it with its own configuration', async () => {
    sandbox.publish(FIRST, goodZip);

    const result = await sandbox.run('config', 'print', '--json');

    expect(result.stderr).toBe(`storestack: installing the operations package s3://${BUCKET}/${FIRST}.zip\n`);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(samplePlatform());
    expect(sandbox.installed()).toEqual(['.lock', FIRST]);
    const [read, download, ...others] = sandbox.callsOf('aws');
    expect(read).toBe(`aws ssm get-parameter --name ${PARAMETER} --query Parameter.Value --output text`);
    // Downloaded beside its place, then moved in whole.
    expect(download).toMatch(
      new RegExp(
        `^aws s3 cp --only-show-errors s3://${BUCKET}/${FIRST}\\.zip ${sandbox.packages}/\\.install\\.\\w+/package\\.zip$`,
      ),
    );
    expect(others).toEqual([]);
  });

  it('renders from the package, which carries the asset files the renderers read', async () => {
    sandbox.publish(FIRST, goodZip);
    const out = join(sandbox.root, 'bundle');

    const result = await sandbox.run('render', 'bundle', 'magento', '--env', 'prod', '--out', out);

    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(out, '.platform', 'nginx', 'conf.d', 'elasticbeanstalk', 'php.conf'))).toBe(true);
  });

  it('runs an installed package again without downloading it', async () => {
    sandbox.publish(FIRST, goodZip);
    expect((await sandbox.run('--help')).status).toBe(0);
    sandbox.clearCalls();

    const result = await sandbox.run('--help');

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: storestack');
    expect(sandbox.callsOf('aws')).toEqual([
      `aws ssm get-parameter --name ${PARAMETER} --query Parameter.Value --output text`,
    ]);
  });

  it('switches to a newly deployed package at the next run and keeps the last three', async () => {
    sandbox.publish(FIRST, goodZip);
    expect((await sandbox.run('--help')).status).toBe(0);
    const keys = [SECOND, 'c'.repeat(64), 'd'.repeat(64)];
    for (const key of keys) {
      sandbox.publish(key, otherZip);
      const result = await sandbox.run('config', 'print', '--json');
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).project).toBe('otherstack');
    }

    expect(sandbox.installed()).toEqual(['.lock', ...keys]);
  });

  it('runs nothing when the parameter cannot be read', async () => {
    sandbox.publish(FIRST, goodZip);
    expect((await sandbox.run('--help')).status).toBe(0);
    writeFileSync(
      join(sandbox.state, 'ssm-error'),
      'An error occurred (AccessDeniedException) when calling GetParameter',
    );

    const result = await sandbox.run('--help');

    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `storestack: cannot read the operations package's location from the SSM parameter ${PARAMETER}: An error occurred (AccessDeniedException) when calling GetParameter\n`,
    );
  });

  it('refuses a parameter that does not name a package', async () => {
    sandbox.setParameter('s3://bucket/latest.zip');

    const result = await sandbox.run('--help');

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `storestack: the SSM parameter ${PARAMETER} holds 's3://bucket/latest.zip', not s3://<bucket>/<sha256>.zip\n`,
    );
    expect(sandbox.callsOf('aws')).toHaveLength(1);
  });

  it.each([
    ['a missing object', null, 'cannot download the operations package'],
    ['a corrupt zip', 'not a zip at all', 'is not a readable zip'],
    ['a zip without storestack.mjs', 'empty-zip', 'holds no storestack.mjs and platform.json'],
  ])('leaves nothing behind and keeps the installed package on %s', async (_, content, message) => {
    sandbox.publish(FIRST, goodZip);
    expect((await sandbox.run('--help')).status).toBe(0);
    sandbox.publish(SECOND, goodZip);
    const object = join(sandbox.state, 's3', `${SECOND}.zip`);
    if (content === null) rmSync(object);
    else if (content === 'empty-zip') {
      const dir = join(scratch, 'nothing');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'README'), 'no package here\n');
      cpSync(zip(dir, join(scratch, `nothing-${Date.now()}.zip`)), object);
    } else writeFileSync(object, content);

    const result = await sandbox.run('--help');

    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(sandbox.installed()).toEqual(['.lock', FIRST]);
  });
});
