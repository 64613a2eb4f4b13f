import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { inputMtimes, inputsUnchanged, writeAtomically } from '../../bin/input-cache.js';
import { compiledConfigFiles, makeCacheDir, SAMPLE_CONFIG, trustedCacheFile } from './config-cache.ts';
import { type Platform, platformSchema } from './schema.ts';

export { SAMPLE_CONFIG };

/** The sample configuration of the project at `projectRoot`. */
export function sampleConfigPath(projectRoot: string): string {
  return join(projectRoot, SAMPLE_CONFIG);
}

/** A configuration that cannot be used; `problems` lists each one as `path: what is wrong`. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `['network', 'privateSubnets', 1, 'cidr']` -> `network.privateSubnets[1].cidr` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const at = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`);
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return [`${at}: is required`];
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue) {
    return [`${at}: ${issue.message}`];
  }
  return [`${at || '(root)'}: ${issue.message}`];
}

/** Validates a configuration object; throws ConfigError listing every problem. */
export function parsePlatform(input: unknown, source: string): Platform {
  const result = platformSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(source, result.error.issues.flatMap(describeIssue));
}

/**
 * A TypeScript configuration compiled to an ES module by esbuild (its local imports bundled in,
 * packages left as imports), cached and reused while none of its inputs changed: tsx would cost
 * every command about 0.6 s, and `storestack release --dry-run` must start in 0.3 s.
 */
async function compileTypeScript(file: string): Promise<string> {
  const { record, output, cacheDir } = compiledConfigFiles(file);
  try {
    const inputs = JSON.parse(readFileSync(record, 'utf8')) as Record<string, number>;
    if (inputsUnchanged(inputs) && trustedCacheFile(output) && trustedCacheFile(record)) {
      return output;
    }
  } catch {
    // No record yet, or an input is gone: compile.
  }
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [file],
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: dirname(file),
  }).catch((error: Error) => {
    throw new ConfigError(file, [`does not compile: ${error.message.split('\n')[0]}`]);
  });
  makeCacheDir(cacheDir);
  writeAtomically(output, result.outputFiles[0]?.contents ?? '', 0o600);
  const inputs = inputMtimes(Object.keys(result.metafile.inputs).map((input) => resolve(dirname(file), input)));
  writeAtomically(record, JSON.stringify(inputs), 0o600);
  return output;
}

/** Imports a configuration module; TypeScript is compiled first (see compileTypeScript). */
async function importModule(file: string): Promise<Record<string, unknown>> {
  const module = ['.ts', '.mts'].includes(extname(file)) ? await compileTypeScript(file) : file;
  return (await import(pathToFileURL(module).href)) as Record<string, unknown>;
}

/**
 * The configuration a module exports as `default` or `platform`. A .ts file outside
 * an ESM package is compiled as CommonJS, and its namespace's `default` is then the
 * whole `module.exports` object (marked `__esModule` by the compiler): look inside it.
 */
function exportedConfiguration(module: Record<string, unknown>): unknown {
  const inner = module.default;
  const isCommonJsExports =
    typeof inner === 'object' && inner !== null && ['__esModule', 'default', 'platform'].some((key) => key in inner);
  const namespace = isCommonJsExports ? (inner as Record<string, unknown>) : module;
  return namespace.default ?? namespace.platform;
}

async function readModule(file: string): Promise<unknown> {
  let module: Record<string, unknown>;
  try {
    module = await importModule(file);
  } catch (error) {
    throw new ConfigError(file, [`cannot be loaded: ${(error as Error).message}`]);
  }
  const exported = exportedConfiguration(module);
  if (exported === undefined) {
    throw new ConfigError(file, ['exports no configuration (export it as `default` or as `platform`)']);
  }
  return exported;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === 'ENOENT' ? 'no such file' : `cannot be read: ${(error as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`is not valid JSON: ${(error as Error).message}`]);
  }
}

/**
 * The files the configuration at `file` was read from, once loadPlatform has read it: the file
 * itself for JSON, the compiled module's inputs for TypeScript; undefined for a JavaScript module,
 * whose imports are not tracked.
 */
export function configInputs(file: string): string[] | undefined {
  const path = resolve(file);
  const extension = extname(path);
  if (extension === '.json') return [path];
  if (!['.ts', '.mts'].includes(extension)) return undefined;
  try {
    return Object.keys(JSON.parse(readFileSync(compiledConfigFiles(path).record, 'utf8')) as Record<string, number>);
  } catch {
    return undefined;
  }
}

/** Loads and validates the configuration at `file`: `.json`, or a `.ts`/`.js` module exporting it. */
export async function loadPlatform(file: string): Promise<Platform> {
  const path = resolve(file);
  const extension = extname(path);
  let input: unknown;
  if (extension === '.json') {
    input = await readJson(path);
  } else if (['.ts', '.mts', '.js', '.mjs'].includes(extension)) {
    input = await readModule(path);
  } else {
    throw new ConfigError(file, [`has extension "${extension}"; use a .json file or a .ts module`]);
  }
  return parsePlatform(input, file);
}
