// Every rendered hook of the satellite apps, checked by the real tools: bash -n and shellcheck;
// the static bodies too, before rendering.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderAppHooks, renderInternalNameHook } from '../../../../src/assets/beanstalk/apps/hooks/render.ts';
import { renderMiraklFiles } from '../../../../src/assets/beanstalk/apps/mirakl/render.ts';
import { PROJECT_ROOT } from '../../../support.ts';
import { itLintsScripts, itShellchecksBodies, scratchScripts } from '../../lint.ts';
import { sampleHooksProps, sampleInternalNameProps, sampleMiraklProps } from './fixtures.ts';

const BODIES = join(PROJECT_ROOT, 'src/assets/beanstalk/apps/hooks');

const SCRIPTS = [
  ...(['pim', 'connector', 'mirakl'] as const).flatMap((app) =>
    renderAppHooks(sampleHooksProps({ app })).map((file) => [`${app}: ${file.path}`, file.content] as const),
  ),
  // A command with every quoting hazard: the header must still parse.
  ...renderAppHooks(sampleHooksProps({ schemaUpdateCommand: `php bin/console x --a='b "c"' $HOME \\ \`d\`` }))
    .filter((file) => file.path.endsWith('30-schema.sh'))
    .map((file) => [`awkward command: ${file.path}`, file.content] as const),
  ['connector: internal name', renderInternalNameHook(sampleInternalNameProps()).content] as const,
  ...renderMiraklFiles(
    sampleMiraklProps({
      cron: [
        { schedule: '*/10 * * * *', command: 'php bin/console hipay:cashout:process' },
        { schedule: '0 3 * * *', command: `php bin/console it's "quoted" $HOME` },
      ],
    }),
  )
    .filter((file) => file.path.endsWith('.sh'))
    .map((file) => [`mirakl: ${file.path}`, file.content] as const),
];
const SCRIPT_BODIES = readdirSync(BODIES).filter((name) => name.endsWith('.sh'));

describe("the satellite apps' hooks, checked by the real tools", () => {
  const written = scratchScripts('storestack-apps-hooks-lint-');

  it('renders every script: three per app, the internal name hook, two for the Mirakl connector', () => {
    expect(SCRIPTS).toHaveLength(3 * 3 + 1 + 1 + 2);
    expect(SCRIPT_BODIES).toHaveLength(6);
  });

  itLintsScripts(SCRIPTS, written);

  itShellchecksBodies(BODIES, SCRIPT_BODIES);
});
