// How the CLI's TypeScript becomes the esbuild bundle bin/storestack.js runs. Apart, so
// that the tests bundle a renderer exactly as the CLI does and check it still finds its files.

/**
 * esbuild options for a bundle of `entryPoints` into `outdir`, as the CLI builds itself.
 * @param {{ root: string, outdir: string, entryPoints: Record<string, string> }} target
 */
export function cliBundleOptions({ root, outdir, entryPoints }) {
  return {
    entryPoints,
    outdir,
    absWorkingDir: root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    logLevel: 'error',
  };
}
