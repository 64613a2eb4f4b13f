// The Mirakl connector's cron: the cron.d text rendered from the configuration, and the
// postdeploy hook 10-install-cron.sh that installs it, run with rpm, dnf and systemctl stubbed.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIRAKL_CRON_HOOK_PATH, renderMiraklCron } from '../../../../src/assets/beanstalk/apps/mirakl/render.ts';
import { miraklFile, Sandbox } from './fixtures.ts';

const HEADER = [
  '# storestack: the Mirakl-HiPay connector (config apps.mirakl.cron), installed by the postdeploy hook',
  '# 10-install-cron.sh; edits are overwritten.',
  'SHELL=/bin/bash',
  'PATH=/usr/local/bin:/usr/bin:/bin',
];

describe('renderMiraklCron', () => {
  it('renders one line per entry: five fields, the web user, cd to the live release, the command; and a final line break', () => {
    const text = renderMiraklCron([
      { schedule: '*/10 * * * *', command: 'php bin/console hipay:cashout:process' },
      { schedule: ' 0  3 * * MON-FRI ', command: 'php bin/console hipay:notifications --limit=100 >/dev/null' },
    ]);

    expect(text).toBe(
      [
        ...HEADER,
        '*/10 * * * * webapp cd /var/app/current && php bin/console hipay:cashout:process',
        '0 3 * * MON-FRI webapp cd /var/app/current && php bin/console hipay:notifications --limit=100 >/dev/null',
        '',
      ].join('\n'),
    );
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.split('\n').filter((candidate) => /^[^#A-Z]/.test(candidate))) {
      const fields = line.split(' ');
      expect(fields.slice(5, 8)).toEqual(['webapp', 'cd', '/var/app/current']);
    }
  });

  it.each([
    [{ schedule: '*/10 * * *', command: 'php x' }, 'is not five cron fields'],
    [{ schedule: '@hourly', command: 'php x' }, 'is not five cron fields'],
    [{ schedule: '* * * * * *', command: 'php x' }, 'is not five cron fields'],
    [{ schedule: '* * * * *', command: 'date +%H' }, 'without "%"'],
    [{ schedule: '* * * * *', command: 'php x\nroot rm -rf /' }, 'one non-empty line'],
    [{ schedule: '* * * * *', command: ' ' }, 'one non-empty line'],
  ])('refuses %j', (entry, message) => {
    expect(() => renderMiraklCron([entry])).toThrow(message);
  });

  it('refuses an empty list', () => {
    expect(() => renderMiraklCron([])).toThrow('cron must list at least one entry');
  });
});

describe('10-install-cron.sh', () => {
  let sandbox: Sandbox;
  let cronFile: string;

  beforeEach(() => {
    sandbox = new Sandbox();
    cronFile = join(sandbox.root, 'etc/cron.d/storestack-mirakl');
  });

  afterEach(() => {
    sandbox.remove();
  });

  function run() {
    return sandbox.run(miraklFile(MIRAKL_CRON_HOOK_PATH), { STORESTACK_CRON_FILE: cronFile });
  }

  it('installs the rendered cron.d file exactly, mode 0644, through a rename, and starts crond', async () => {
    sandbox.install('cronie');

    const result = await run();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(sandbox.read(cronFile)).toBe(
      [...HEADER, '*/10 * * * * webapp cd /var/app/current && php bin/console hipay:cashout:process', ''].join('\n'),
    );
    expect(statSync(cronFile).mode & 0o777).toBe(0o644);
    expect(readdirSync(join(sandbox.root, 'etc/cron.d'))).toEqual(['storestack-mirakl']);
    expect(sandbox.callsOf('systemctl')).toEqual(['systemctl enable --now crond']);
    expect(sandbox.callsOf('dnf')).toEqual([]);
  });

  it('installs cronie when it is missing', async () => {
    expect((await run()).status).toBe(0);

    expect(sandbox.callsOf('dnf')).toEqual(['dnf install -y -q cronie']);
  });

  it('replaces an older file whole', async () => {
    sandbox.install('cronie');
    sandbox.write(cronFile, '* * * * * root echo old\n');

    expect((await run()).status).toBe(0);

    expect(sandbox.read(cronFile)).not.toContain('old');
    expect(sandbox.read(cronFile)).toContain('hipay:cashout:process');
  });
});
