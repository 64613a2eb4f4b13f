// The operations package: storestack as the Rundeck build host runs it (hosting document 6.B,
// "storestack installed"). One directory, shipped as a CDK file asset by the Ops stack:
// - storestack.mjs and its chunks: an esbuild bundle of src/cli/packaged.ts with every
//   dependency inside but the CDK's (the host runs operations, never synth);
// - platform.json: the configuration the stacks were synthesized from, so the CLI on the host
//   always matches the platform that was deployed with it;
// - src/assets/**: the files the renderers read (scripts, nginx and PHP files), where
//   assetFilePath finds them from the bundle.
// Synthesis builds it offline and deterministically: the same sources and configuration give
// the same bytes, hence the same asset hash. The bundle is cached in node_modules/.cache and
// rebuilt only when one of its inputs changes, so a warm synth pays for a few stat calls.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildSync } from 'esbuild';
import { cliBundleOptions } from '../../../bin/cli-bundle.js';
import { inputMtimes, inputsUnchanged, writeAtomically } from '../../../bin/input-cache.js';
import type { Platform } from '../../config/schema.ts';

/** The package's entry, relative to its directory: `node storestack.mjs <command>`. */
export const PACKAGE_ENTRY = 'storestack.mjs';
/** The configuration inside the package. */
export const PACKAGE_CONFIG = 'platform.json';

const ENTRY_IN_PROJECT = 'src/cli/packaged.ts';
const ASSETS_IN_PROJECT = 'src/assets';
/**
 * What the host never loads, left out of the bundle: the CDK, the TypeScript tooling, and
 * src/infra/synth.ts (the synth command's lazy import, which pulls in every stack; the packaged
 * CLI does not offer synth), and the diagram command's lazy imports (Graphviz in WebAssembly,
 * resvg's native binary; the packaged CLI draws no diagram).
 */
const EXTERNAL = [
  'aws-cdk-lib',
  'aws-cdk-lib/*',
  'constructs',
  'cdk-nag',
  'esbuild',
  'tsx',
  'tsx/*',
  '*/infra/synth.ts',
  '*/diagram/assembly.ts',
  '*/diagram/freshness.ts',
  '*/diagram/index.ts',
];
/** How many built packages the cache keeps (tests synthesize many configurations). */
const KEPT_PACKAGES = 16;

interface BundleCache {
  /** Every input file of the bundle (project-relative) and its mtime when it was built. */
  readonly inputs: Record<string, number>;
  /** The bundle's files: name -> content. */
  readonly files: Record<string, string>;
}

/** The project root: the directory above this module that holds the package's entry. */
function projectRoot(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, ENTRY_IN_PROJECT))) return dir;
    if (dirname(dir) === dir) throw new Error(`${ENTRY_IN_PROJECT} not found above ${import.meta.dirname}`);
  }
}

function readCache(file: string, root: string): BundleCache | undefined {
  try {
    const cache = JSON.parse(readFileSync(file, 'utf8')) as BundleCache;
    return inputsUnchanged(cache.inputs, root) ? cache : undefined;
  } catch {
    return undefined;
  }
}

function bundle(root: string, cacheFile: string): Record<string, string> {
  const cached = readCache(cacheFile, root);
  if (cached) return cached.files;
  const outdir = join(root, 'node_modules', '.cache', 'storestack-ops-package', 'bundle');
  const result = buildSync({
    // The CLI's own bundle options, but self-contained: its dependencies inside, not in node_modules.
    ...cliBundleOptions({ root, outdir, entryPoints: { storestack: join(root, ENTRY_IN_PROJECT) } }),
    packages: 'bundle',
    external: EXTERNAL,
    // The bundled CommonJS dependencies (commander, the AWS SDK) call require.
    banner: {
      js: "import { createRequire as __storestackRequire } from 'node:module';\nconst require = __storestackRequire(import.meta.url);",
    },
    legalComments: 'none',
    metafile: true,
    write: false,
  });
  const files = Object.fromEntries(result.outputFiles.map((file) => [relative(outdir, file.path), file.text]));
  const inputs = inputMtimes(Object.keys(result.metafile.inputs), root);
  writeAtomically(cacheFile, JSON.stringify({ inputs, files } satisfies BundleCache));
  return files;
}

/** Every file under `dir` but the TypeScript and Markdown ones, project-relative, sorted. */
function assetFiles(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !/\.(?:ts|md)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

/** Keeps the newest packages; an older one may still be read by a synthesis: losing the race is harmless. */
function prune(packagesDir: string, keep: string): void {
  const packages = readdirSync(packagesDir)
    .filter((name) => /^[0-9a-f]{64}$/.test(name) && name !== keep)
    .map((name) => ({ name, mtimeMs: statSync(join(packagesDir, name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { name } of packages.slice(KEPT_PACKAGES - 1)) {
    rmSync(join(packagesDir, name), { recursive: true, force: true });
  }
}

/**
 * Builds (or finds) the operations package for `platform` and returns its directory, named after
 * the SHA-256 of its content. Throws when the bundle does not build.
 */
export function buildOperationsPackage(platform: Platform): string {
  const root = projectRoot();
  const cacheDir = join(root, 'node_modules', '.cache', 'storestack-ops-package');
  const files: Record<string, string> = {
    ...bundle(root, join(cacheDir, 'bundle.json')),
    [PACKAGE_CONFIG]: `${JSON.stringify(platform, null, 2)}\n`,
  };
  for (const file of assetFiles(root, ASSETS_IN_PROJECT)) files[file] = readFileSync(join(root, file), 'utf8');

  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\0`);
  const digest = hash.digest('hex');
  const packagesDir = join(cacheDir, 'packages');
  const directory = join(packagesDir, digest);
  if (existsSync(directory)) return directory;

  const temporary = join(packagesDir, `.${digest}.${process.pid}.tmp`);
  rmSync(temporary, { recursive: true, force: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(temporary, name)), { recursive: true });
    writeFileSync(join(temporary, name), content);
  }
  try {
    renameSync(temporary, directory);
  } catch (error) {
    // Another process built the same package first: same name, same content.
    rmSync(temporary, { recursive: true, force: true });
    if (!existsSync(directory)) throw error;
  }
  prune(packagesDir, digest);
  return directory;
}
