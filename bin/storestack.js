#!/usr/bin/env node
// The `storestack` CLI. It runs an esbuild bundle of src/cli, cached under
// node_modules/.cache and rebuilt whenever one of its source files changes:
// running the TypeScript through tsx would cost ~0.25 s at every start, and
// `storestack --help` must answer in under 0.3 s (docs/adr/0003). This file and
// bin/cdk-app.ts are the only places that read environment variables.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliBundleOptions } from './cli-bundle.js';
import { inputMtimes, inputsUnchanged, writeAtomically } from './input-cache.js';

const root = join(import.meta.dirname, '..');
const cacheDir = join(root, 'node_modules', '.cache', 'storestack-cli');
const inputsFile = join(cacheDir, 'inputs.json');
const entry = join(cacheDir, 'run.mjs');

/** True when the cached bundle was built from the sources as they are now. */
function bundleIsFresh() {
  try {
    return inputsUnchanged(JSON.parse(readFileSync(inputsFile, 'utf8')), root);
  } catch {
    return false;
  }
}

async function buildBundle() {
  const { build } = await import('esbuild');
  const result = await build({
    ...cliBundleOptions({ root, outdir: cacheDir, entryPoints: { run: join(root, 'src/cli/run.ts') } }),
    metafile: true,
    write: false,
  });
  for (const file of result.outputFiles) {
    if (file.path !== entry) writeAtomically(file.path, file.contents);
  }
  writeAtomically(entry, result.outputFiles.find((file) => file.path === entry).contents);
  const inputs = inputMtimes(
    Object.keys(result.metafile.inputs).map((file) => relative(root, join(root, file))),
    root,
  );
  writeAtomically(inputsFile, JSON.stringify(inputs));
}

if (!bundleIsFresh()) await buildBundle();
const { run } = await import(pathToFileURL(entry).href);
process.exitCode = await run(process.argv.slice(2), {
  projectRoot: root,
  configFile: process.env.STORESTACK_CONFIG || undefined,
});
