// The statics publishing script run for real (bash, unzip, find) in a temporary statics share, with
// aws (the download) and chown stubbed: published whole, kept when already there, pruned to `keep`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staticsPublishScript } from '../../src/release/magento-release.ts';
import { expectShellcheckClean } from '../assets/lint.ts';
import { required } from '../assets/stubbed-commands.ts';

describe('staticsPublishScript', () => {
  let root: string;
  let share: string;
  let bin: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'storestack-statics-'));
    share = join(root, 'magento-statics');
    bin = join(root, 'bin');
    mkdirSync(share);
    mkdirSync(bin);
    // The release zip, as the build writes it: pub/static/frontend/... and an .htaccess nginx ignores.
    const release = join(root, 'release');
    mkdirSync(join(release, 'pub/static/frontend/Client/dlm/fr_FR'), { recursive: true });
    writeFileSync(join(release, 'pub/static/frontend/Client/dlm/fr_FR/styles.css'), 'body{}');
    writeFileSync(join(release, 'pub/static/.htaccess'), 'Deny');
    writeFileSync(join(release, 'index.php'), '<?php');
    execFileSync(required('zip'), ['-q', '-r', join(root, 'release.zip'), '.'], { cwd: release });
    writeFileSync(
      join(bin, 'aws'),
      `#!/bin/bash\n[[ $1 == s3 && $2 == cp ]] || exit 9\ncp ${join(root, 'release.zip')} "\${@: -1}"\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(bin, 'chown'), '#!/bin/bash\nexit 0\n', { mode: 0o755 });
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function publish(releaseId: string, options: { keep?: number; force?: boolean } = {}) {
    const script = staticsPublishScript({
      staticsDir: share,
      releaseId,
      source: `s3://client-release-artifacts/magento/${releaseId}.zip`,
      keep: options.keep ?? 3,
      force: options.force,
    });
    return spawnSync(required('bash'), ['--norc', '--noprofile', '-c', `set -euo pipefail\n${script}`], {
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: root },
      encoding: 'utf8',
    });
  }

  it('publishes pub/static into version<N>/, without the .htaccess and without leftovers', () => {
    const result = publish('1764151200');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(join(share, 'version1764151200/frontend/Client/dlm/fr_FR/styles.css'), 'utf8')).toBe('body{}');
    expect(existsSync(join(share, 'version1764151200/.htaccess'))).toBe(false);
    expect(readdirSync(share)).toEqual(['version1764151200']);
  });

  it('keeps an already published version, and replaces it whole with force', () => {
    publish('1764151200');
    writeFileSync(join(share, 'version1764151200/marker'), 'old');
    expect(publish('1764151200').stdout).toContain('already published');
    expect(existsSync(join(share, 'version1764151200/marker'))).toBe(true);
    expect(publish('1764151200', { force: true }).status).toBe(0);
    expect(existsSync(join(share, 'version1764151200/marker'))).toBe(false);
    expect(readdirSync(share)).toEqual(['version1764151200']);
  });

  it('prunes to the newest `keep` versions in numeric order, never the one just published', () => {
    for (const id of ['900', '1000', '1100', '1200']) expect(publish(id, { keep: 3 }).status).toBe(0);
    expect(readdirSync(share).sort()).toEqual(['version1000', 'version1100', 'version1200']);
    // An older id published again (a rollback) is kept although it sorts first.
    expect(publish('950', { keep: 3 }).status).toBe(0);
    expect(readdirSync(share).sort()).toEqual(['version1100', 'version1200', 'version950']);
    expect(publish('1300', { keep: 3 }).stdout).toContain('removed version950');
  });

  it('passes shellcheck', () => {
    const file = join(root, 'publish.sh');
    writeFileSync(
      file,
      `#!/bin/bash\nset -euo pipefail\n${staticsPublishScript({ staticsDir: '/mnt/storestack/magento-statics', releaseId: '1', source: 's3://b/k.zip', keep: 5 })}\n`,
    );
    expectShellcheckClean(file);
  });
});
