// The rendered NFS server user data checked by the real tools: bash -n and shellcheck.
import { join } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { renderNfsServerUserData } from '../../../src/assets/nfs-server/render.ts';
import { PROJECT_ROOT } from '../../support.ts';
import { expectBashParses, expectShellcheckClean, scratchScripts } from '../lint.ts';
import { sampleProps } from './fixtures.ts';

const SCRIPT_SOURCE = join(PROJECT_ROOT, 'src/assets/nfs-server/setup-nfs-server.sh');

describe('the rendered user data, checked by the real tools', () => {
  const written = scratchScripts('storestack-nfs-lint-');
  let rendered: string;

  beforeAll(() => {
    rendered = written('user-data.sh', renderNfsServerUserData(sampleProps()));
  });

  it('parses with bash -n', () => {
    expectBashParses(rendered);
  });

  it.each([
    ['the rendered user data', () => rendered],
    ['setup-nfs-server.sh on its own', () => SCRIPT_SOURCE],
  ])('passes shellcheck at every severity: %s', (_name, file) => {
    expectShellcheckClean(file());
  });
});
