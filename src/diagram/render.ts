// DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz: no system Graphviz, no
// network), SVG to PNG with resvg (@resvg/resvg-js, a prebuilt binary in the package).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FONT } from './dot.ts';

type Viz = Awaited<ReturnType<typeof import('@viz-js/viz').instance>>;
let viz: Promise<Viz> | undefined;

/** Lays out `dot` and returns the SVG; a DOT error is thrown with Graphviz's message. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz').then((module) => module.instance());
  const result = (await viz).render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    throw new Error(`Graphviz: ${result.errors.map((error) => error.message).join('; ')}`);
  }
  return result.output;
}

/** Where Debian's fonts-liberation2 (and fonts-liberation) put Liberation Sans. */
const FONT_DIRECTORIES = ['/usr/share/fonts/truetype/liberation2', '/usr/share/fonts/truetype/liberation'];
const FONT_FILES = ['LiberationSans-Regular.ttf', 'LiberationSans-Bold.ttf'];

/**
 * Liberation Sans, which has Arial's metrics (the ones Graphviz measured the labels with),
 * so text fits its boxes in the PNG as in the layout.
 */
export function pngFontFiles(directories: readonly string[] = FONT_DIRECTORIES): string[] {
  for (const directory of directories) {
    const files = FONT_FILES.map((file) => join(directory, file)).filter((file) => existsSync(file));
    if (files.length > 0) return files;
  }
  throw new Error(
    `PNG needs the Liberation Sans font (${FONT}'s metrics), looked for in ${directories.join(', ')}: install fonts-liberation2 (Debian), or pass --no-png`,
  );
}

/** Rasterizes a diagram's SVG at its natural size (1 pt = 1 px), on white. */
export async function renderPng(svg: string, fontFiles: readonly string[] = pngFontFiles()): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    background: 'white',
    font: { loadSystemFonts: false, fontFiles: [...fontFiles], defaultFontFamily: 'Liberation Sans' },
  });
  return resvg.render().asPng();
}
