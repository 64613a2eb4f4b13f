// The rendered hook, for both file systems, and its static body, checked by the real tools:
// bash -n and shellcheck.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FTP_HOOK_BUNDLE_PATH,
  renderConnectorFtpFiles,
} from '../../../../src/assets/beanstalk/connector-ftp/render.ts';
import { PROJECT_ROOT } from '../../../support.ts';
import { findOnPath } from '../../stubbed-commands.ts';
import { bundleFile, sampleProps } from './fixtures.ts';

const BODY = join(PROJECT_ROOT, 'src/assets/beanstalk/connector-ftp/setup-ftp.sh');

const HOOKS = [
  ['NFS server', bundleFile(renderConnectorFtpFiles(sampleProps()), FTP_HOOK_BUNDLE_PATH)],
  ['EFS', bundleFile(renderConnectorFtpFiles(sampleProps({ fileSystem: 'efs' })), FTP_HOOK_BUNDLE_PATH)],
] as const;

function requireShellcheck(): void {
  if (!findOnPath('shellcheck')) {
    throw new Error(
      'shellcheck is not installed, and this test needs it: install it (apt-get install shellcheck, ' +
        'or your system package manager) and run the tests again',
    );
  }
}

describe('the rendered FTP hook, checked by the real tools', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'storestack-connector-ftp-lint-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function written(name: string, content: string): string {
    const file = join(dir, `${name.replaceAll(/[^A-Za-z0-9.-]/g, '_')}.sh`);
    writeFileSync(file, content);
    return file;
  }

  it.each(HOOKS)('parses with bash -n: %s', (name, content) => {
    const result = spawnSync('bash', ['-n', written(name, content)], { encoding: 'utf8' });

    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(HOOKS)('passes shellcheck at every severity: %s', (name, content) => {
    requireShellcheck();

    const result = spawnSync('shellcheck', ['--severity=style', '--shell=bash', written(name, content)], {
      encoding: 'utf8',
    });

    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('passes shellcheck on its own, before rendering: setup-ftp.sh', () => {
    requireShellcheck();

    const result = spawnSync('shellcheck', ['--severity=style', '--shell=bash', BODY], { encoding: 'utf8' });

    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
