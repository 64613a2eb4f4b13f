// The predeploy hook 30-schema.sh run for real: runuser stubbed (it runs the command as the test
// user and logs how it was asked), and php a stub that records where and how it ran.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_HOOK_PATH } from '../../../../src/assets/beanstalk/apps/hooks/render.ts';
import { appHook, Sandbox, SCHEMA_COMMAND } from './fixtures.ts';

// Records its working directory, and each argument on a line (a call ends with a line "--");
// prints 50 numbered lines; fails when $STUB_STATE/php-fails exists.
const PHP_STUB = `
pwd >"$STUB_STATE/php-cwd"
printf '%s\\n' "$@" -- >>"$STUB_STATE/php-args"
for i in $(seq 1 50); do echo "php output line $i"; done
[[ ! -f "$STUB_STATE/php-fails" ]] || { echo 'SQLSTATE[HY000] [2002] Connection refused' >&2; exit 3; }`;

describe('30-schema.sh', () => {
  let sandbox: Sandbox;

  beforeEach(() => {
    sandbox = new Sandbox({ php: PHP_STUB });
    sandbox.write(join(sandbox.release, '.env.local'), "APP_ENV=prod\nDATABASE_URL='mysql://a:b@h:3306/apps'\n", 0o640);
  });

  afterEach(() => {
    sandbox.remove();
  });

  function run(command = SCHEMA_COMMAND) {
    return sandbox.run(appHook(SCHEMA_HOOK_PATH, { schemaUpdateCommand: command }), {
      STORESTACK_RELEASE_DIR: sandbox.release,
    });
  }

  it('runs the configured command as webapp, in the release, as one bash -c argument', async () => {
    const result = await run();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(sandbox.callsOf('runuser')).toEqual([`runuser -u webapp -- bash -c ${SCHEMA_COMMAND}`]);
    expect(sandbox.callsOf('php')).toEqual(['php bin/console doctrine:schema:update --force --no-interaction']);
    expect(sandbox.read(join(sandbox.state, 'php-cwd'))).toBe(`${sandbox.release}\n`);
    expect(result.stdout).toContain('php output line 50');
    expect(result.stdout).toContain('storestack-pim-schema: schema up to date');
  });

  it('keeps a command with quotes and separators as written in the configuration', async () => {
    const result = await run(
      `php bin/console app:migrate --note='it is "done"; really' && php bin/console cache:clear`,
    );

    expect(result.status).toBe(0);
    expect(sandbox.read(join(sandbox.state, 'php-args'))?.split('\n')).toEqual([
      'bin/console',
      'app:migrate',
      '--note=it is "done"; really',
      '--',
      'bin/console',
      'cache:clear',
      '--',
      '',
    ]);
  });

  it("fails the deploy when the command fails, with the tail of the command's output", async () => {
    sandbox.write(join(sandbox.state, 'php-fails'), '');

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `storestack-pim-schema: ERROR: the schema update failed (exit 3): ${SCHEMA_COMMAND}`,
    );
    expect(result.stderr).toContain('SQLSTATE[HY000] [2002] Connection refused');
    expect(result.stderr).toContain('php output line 50');
    // The last 40 lines only.
    expect(result.stderr).not.toContain('php output line 10\n');
    expect(result.stderr).toContain('php output line 12\n');
  });

  it('fails when the credentials hook did not write .env.local, before running anything', async () => {
    sandbox.clear(join(sandbox.release, '.env.local'));

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('.env.local is missing: the prebuild hook 10-credentials.sh did not run');
    expect(sandbox.callsOf('runuser')).toEqual([]);
  });
});
