import type { BuildOptions } from 'esbuild';

/** esbuild options for a bundle of `entryPoints` into `outdir`, as the CLI builds itself. */
export function cliBundleOptions(target: {
  root: string;
  outdir: string;
  entryPoints: Record<string, string>;
}): BuildOptions;
