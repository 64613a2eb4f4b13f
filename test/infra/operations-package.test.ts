// The operations package the Ops stack ships to the Rundeck build host: built offline, the same
// bytes from the same sources and configuration, and free of anything tied to the build machine.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOperationsPackage, PACKAGE_CONFIG, PACKAGE_ENTRY } from '../../src/infra/ops/operations-package.ts';
import { PROJECT_ROOT, platformWith, samplePlatform } from '../support.ts';

function filesOf(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)))
    .sort();
}

describe('the operations package', () => {
  it('is named after its content: the same configuration gives the same package, another one another', () => {
    const first = buildOperationsPackage(samplePlatform());
    expect(buildOperationsPackage(samplePlatform())).toBe(first);
    expect(first).toMatch(/\/[0-9a-f]{64}$/);
    const other = buildOperationsPackage(platformWith((input) => Object.assign(input.client, { name: 'other' })));
    expect(other).not.toBe(first);
  });

  it('holds the entry, the configuration and every asset file the renderers read, and no TypeScript', () => {
    const directory = buildOperationsPackage(samplePlatform());
    const files = filesOf(directory);

    expect(files).toContain(PACKAGE_ENTRY);
    expect(JSON.parse(readFileSync(join(directory, PACKAGE_CONFIG), 'utf8'))).toEqual(samplePlatform());
    for (const asset of [
      'src/assets/rundeck/setup-rundeck.sh',
      'src/assets/rundeck/storestack-launcher.sh',
      'src/assets/beanstalk/magento/render-env-php.php',
    ]) {
      expect(files.some((file) => file.endsWith(asset.split('/').at(-1) as string))).toBe(true);
    }
    expect(files.filter((file) => /\.(?:ts|md)$/.test(file))).toEqual([]);
  });

  it('carries nothing of the build machine and nothing of the CDK', () => {
    const directory = buildOperationsPackage(samplePlatform());
    for (const file of filesOf(directory).filter((name) => name.endsWith('.mjs'))) {
      const text = readFileSync(join(directory, file), 'utf8');
      expect(text, file).not.toContain(PROJECT_ROOT);
      expect(text, file).not.toMatch(/from ['"]aws-cdk-lib/);
    }
  });
});
