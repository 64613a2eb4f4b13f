import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { platform } from '../../config/platform.ts';
import { ConfigError, formatPath, loadPlatform, parsePlatform } from '../../src/config/load.ts';
import { sample } from './support.ts';

const SAMPLE_FILE = resolve(import.meta.dirname, '../../config/platform.ts');

const directories: string[] = [];

/**
 * Writes `content` to a fresh temporary directory (modules are cached by URL) and
 * returns the file's path. The directory is an ESM package (`"type": "module"`), as a
 * project holding a TypeScript configuration is, unless `esm` is false.
 */
function tempFile(name: string, content: string, { esm = true } = {}): string {
  const directory = mkdtempSync(join(tmpdir(), 'storestack-config-'));
  directories.push(directory);
  if (esm) writeFileSync(join(directory, 'package.json'), '{ "type": "module" }\n');
  // The compiled configuration is cached under the nearest node_modules: here, not the temp directory.
  mkdirSync(join(directory, 'node_modules'));
  const file = join(directory, name);
  writeFileSync(file, content);
  return file;
}

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** The ConfigError `promise` rejects with; fails when it resolves or rejects with something else. */
async function configErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

const expected = parsePlatform(platform, 'config/platform.ts');

describe('loadPlatform', () => {
  it('reads and validates a .json file', async () => {
    // GIVEN the sample written as JSON
    const file = tempFile('platform.json', JSON.stringify(platform, null, 2));
    // WHEN it is loaded
    // THEN the result is the parsed sample, defaults applied
    const loaded = await loadPlatform(file);
    expect(loaded).toEqual(expected);
    expect(loaded.project).toBe('storestack');
  });

  it('reads a .ts module exporting the configuration as default', async () => {
    // GIVEN a TypeScript module with a default export
    const file = tempFile('platform.ts', `const config = ${JSON.stringify(platform)};\nexport default config;\n`);
    // WHEN it is loaded
    // THEN the result is the parsed sample
    expect(await loadPlatform(file)).toEqual(expected);
  });

  it('reads a .ts module exporting the configuration as `platform`', async () => {
    // GIVEN a TypeScript module with a named `platform` export only
    const file = tempFile('platform.ts', `export const platform = ${JSON.stringify(platform)};\n`);
    // WHEN it is loaded
    // THEN the result is the parsed sample
    expect(await loadPlatform(file)).toEqual(expected);
  });

  it('reads the shipped sample, config/platform.ts', async () => {
    // GIVEN the sample module, which exports both `platform` and `default`
    // WHEN it is loaded
    // THEN it is the parsed sample
    expect(await loadPlatform(SAMPLE_FILE)).toEqual(expected);
  });

  it('reads a .mts module exporting the configuration as `platform`', async () => {
    // GIVEN an .mts module (always ESM) in a directory with no package.json
    const file = tempFile('platform.mts', `export const platform = ${JSON.stringify(platform)};\n`, { esm: false });
    // WHEN it is loaded
    // THEN the result is the parsed sample
    expect(await loadPlatform(file)).toEqual(expected);
  });

  it('validates what it loads, naming the file and the problem', async () => {
    // GIVEN a JSON file with a subnet outside the VPC
    const input = sample();
    input.network.privateSubnets[1] = { az: 'eu-west-3b', cidr: '10.1.101.0/24' };
    const file = tempFile('bad.json', JSON.stringify(input));
    // WHEN it is loaded
    const error = await configErrorOf(loadPlatform(file));
    // THEN the error names the file and the problem's path
    expect(error.source).toBe(file);
    expect(error.message).toContain(file);
    expect(error.problems).toEqual(['network.privateSubnets[1].cidr: 10.1.101.0/24 is outside the VPC 10.0.0.0/16']);
  });

  it('fails with a ConfigError naming the file when the .json file does not exist', async () => {
    // GIVEN a path where there is no file
    const directory = mkdtempSync(join(tmpdir(), 'storestack-config-'));
    directories.push(directory);
    const file = join(directory, 'missing.json');
    // WHEN it is loaded
    const error = await configErrorOf(loadPlatform(file));
    // THEN the file is named and said to be missing
    expect(error.source).toBe(file);
    expect(error.message.startsWith(`${file}: `)).toBe(true);
    expect(error.problems).toEqual(['no such file']);
  });

  it('fails with a ConfigError naming the file when the .ts module does not exist', async () => {
    // GIVEN a path where there is no module
    const directory = mkdtempSync(join(tmpdir(), 'storestack-config-'));
    directories.push(directory);
    const file = join(directory, 'missing.ts');
    // WHEN it is loaded
    const error = await configErrorOf(loadPlatform(file));
    // THEN the file is named and said not to load
    expect(error.source).toBe(file);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^cannot be loaded: /);
  });

  it('fails with a ConfigError naming the file when the JSON is invalid', async () => {
    // GIVEN a JSON file with a trailing comma
    const file = tempFile('broken.json', '{ "client": { "name": "client" }, }');
    // WHEN it is loaded
    const error = await configErrorOf(loadPlatform(file));
    // THEN the file is named and said not to be JSON
    expect(error.source).toBe(file);
    expect(error.message).toContain(file);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^is not valid JSON: /);
  });

  it('fails with a ConfigError naming the file when the extension is not supported', async () => {
    // GIVEN a YAML file (storestack reads JSON and TypeScript only)
    const file = tempFile('platform.yaml', 'client:\n  name: client\n');
    // WHEN it is loaded
    const error = await configErrorOf(loadPlatform(file));
    // THEN the file is named and the supported formats are given
    expect(error.source).toBe(file);
    expect(error.problems).toEqual(['has extension ".yaml"; use a .json file or a .ts module']);
  });

  it('fails with a ConfigError naming the file when the module exports no configuration', async () => {
    // GIVEN a module exporting something under another name
    const file = tempFile('platform.ts', 'export const config = { client: { name: "client" } };\n');
    // WHEN it is loaded
    const error = await configErrorOf(loadPlatform(file));
    // THEN the file is named and the expected exports are given
    expect(error.source).toBe(file);
    expect(error.problems).toEqual(['exports no configuration (export it as `default` or as `platform`)']);
  });

  it('fails with a ConfigError naming the file when the module throws while loading', async () => {
    // GIVEN a module that throws at import
    const file = tempFile('platform.ts', 'throw new Error("boom");\nexport default {};\n');
    // WHEN it is loaded
    const error = await configErrorOf(loadPlatform(file));
    // THEN the file is named and the cause is given
    expect(error.source).toBe(file);
    expect(error.problems).toEqual(['cannot be loaded: boom']);
  });
});

// tsx's tsImport follows Node's package scope: a .ts file outside a `"type": "module"`
// package (a user's config in a scratch directory) is compiled to CommonJS, and its
// namespace's `default` is the whole `module.exports` object. The loader looks inside it.
describe('a .ts module in a directory that is not an ESM package', () => {
  it('is read when it exports the configuration as default', async () => {
    const file = tempFile('platform.ts', `const config = ${JSON.stringify(platform)};\nexport default config;\n`, {
      esm: false,
    });
    expect(await loadPlatform(file)).toEqual(expected);
  });

  it('is read when it exports the configuration as `platform`', async () => {
    const file = tempFile('platform.ts', `export const platform = ${JSON.stringify(platform)};\n`, { esm: false });
    expect(await loadPlatform(file)).toEqual(expected);
  });

  it('is reported as exporting no configuration when it exports neither', async () => {
    const file = tempFile('platform.ts', 'export const config = { client: { name: "client" } };\n', { esm: false });
    const error = await configErrorOf(loadPlatform(file));
    expect(error.problems).toEqual(['exports no configuration (export it as `default` or as `platform`)']);
  });
});

describe('JSON round trip (what `storestack config print --json > my.json` relies on)', () => {
  it('the parsed sample, printed as JSON, parses again to an equal object', () => {
    // GIVEN the parsed sample, defaults applied, printed as JSON
    const printed = JSON.stringify(expected, null, 2);
    // WHEN the printed text is parsed again
    const reparsed = parsePlatform(JSON.parse(printed), 'my.json');
    // THEN it is the same configuration
    expect(reparsed).toEqual(expected);
  });

  it('the printed JSON, saved to a file, loads to an equal object', async () => {
    // GIVEN the parsed sample saved as my.json
    const file = tempFile('my.json', JSON.stringify(expected, null, 2));
    // WHEN it is loaded
    // THEN it is the same configuration
    expect(await loadPlatform(file)).toEqual(expected);
  });
});

describe('formatPath', () => {
  it.each([
    [['network', 'privateSubnets', 1, 'cidr'], 'network.privateSubnets[1].cidr'],
    [['aws', 'availabilityZones', 0], 'aws.availabilityZones[0]'],
    [['network', 'vpn', 'connections', 2, 'routing', 'cidrs', 0], 'network.vpn.connections[2].routing.cidrs[0]'],
    [['project'], 'project'],
    [[0, 'name'], '[0].name'],
    [[], ''],
  ])('formats %j as %j', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('the compiled TypeScript configuration kept between loads', () => {
  it('is never taken from a file others may write: it is compiled again', async () => {
    // GIVEN a configuration loaded once (compiled and kept)
    const file = tempFile('platform.ts', `export default ${JSON.stringify(platform)};\n`);
    expect(await loadPlatform(file)).toEqual(expected);
    const cacheDir = join(file, '..', 'node_modules', '.cache', 'storestack-config');
    const compiled = readdirSync(cacheDir).find((name) => name.endsWith('.mjs')) as string;
    // WHEN someone else's code is put in its place, writable by all
    const forged = { ...platform, project: 'forged' };
    writeFileSync(join(cacheDir, compiled), `export default ${JSON.stringify(forged)};\n`);
    chmodSync(join(cacheDir, compiled), 0o666);
    // THEN it is not used: the configuration is compiled again from its source, readable by its user only
    expect((await loadPlatform(file)).project).toBe(expected.project);
    expect(readFileSync(join(cacheDir, compiled), 'utf8')).not.toContain('forged');
    expect(statSync(join(cacheDir, compiled)).mode & 0o777).toBe(0o600);
  });
});
