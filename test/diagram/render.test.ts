import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dotSource } from '../../src/diagram/dot.ts';
import type { Diagram } from '../../src/diagram/graph.ts';
import { platformDiagrams } from '../../src/diagram/index.ts';
import { pngFontFiles, renderPng, renderSvg } from '../../src/diagram/render.ts';
import { layoutProblems, readSvgLayout } from '../../src/diagram/svg-layout.ts';
import { PROJECT_ROOT, samplePlatform } from '../support.ts';
import { synthesizedAssembly } from './support.ts';

const COMMITTED = join(PROJECT_ROOT, 'docs/diagrams');

describe('the laid-out diagrams of the sample platform', () => {
  let diagrams: Diagram[];
  const svgs = new Map<string, string>();
  beforeAll(async () => {
    diagrams = platformDiagrams(synthesizedAssembly(samplePlatform()), samplePlatform());
    for (const diagram of diagrams) svgs.set(diagram.name, await renderSvg(dotSource(diagram)));
  });

  it('are the platform and one per environment', () => {
    expect(diagrams.map((diagram) => diagram.name)).toEqual(['platform', 'magento-prod', 'magento-preprod']);
  });

  it('have every node on the canvas and no two node boxes overlapping', () => {
    for (const diagram of diagrams) {
      const layout = readSvgLayout(svgs.get(diagram.name) ?? '');
      expect(layout.nodes, diagram.name).toHaveLength(diagram.nodes.length);
      expect(layoutProblems(layout), diagram.name).toEqual([]);
    }
  });

  it('are the ones committed in docs/diagrams (run `npm run docs` after changing the platform)', () => {
    for (const diagram of diagrams) {
      const committed = (extension: string) => readFileSync(join(COMMITTED, `${diagram.name}.${extension}`), 'utf8');
      expect(committed('dot'), `docs/diagrams/${diagram.name}.dot is stale: run npm run docs`).toBe(dotSource(diagram));
      expect(committed('svg'), `docs/diagrams/${diagram.name}.svg is stale: run npm run docs`).toBe(
        svgs.get(diagram.name),
      );
    }
  });

  it('rasterize to a PNG at the SVG natural size (96 dpi)', async () => {
    const svg = svgs.get('magento-prod') ?? '';
    const png = await renderPng(svg);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const { width, height } = readSvgLayout(svg);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([
      Math.ceil((width * 96) / 72),
      Math.ceil((height * 96) / 72),
    ]);
  });
});

describe('the layout check', () => {
  // Graphviz's SVG form: the graph translated into the canvas, one group per node.
  const svg = (nodes: string) => `<svg width="200pt" height="100pt" viewBox="0.00 0.00 200.00 100.00">
<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 96)">
${nodes}
</g></svg>`;
  const box = (id: number, name: string, left: number, top: number, right: number, bottom: number) =>
    `<g id="node${id}" class="node"><title>${name}</title>
<polygon fill="none" stroke="black" points="${left},${top} ${right},${top} ${right},${bottom} ${left},${bottom} ${left},${top}"/>
<text x="0" y="0">${name}</text></g>`;

  it('reads each node box in canvas coordinates', () => {
    const layout = readSvgLayout(svg(box(1, 'a&#45;1', 0, -90, 50, -60)));
    expect(layout).toEqual({
      width: 200,
      height: 100,
      nodes: [{ name: 'a-1', left: 4, top: 6, right: 54, bottom: 36 }],
    });
  });

  it('finds overlapping boxes and boxes off the canvas', () => {
    const layout = readSvgLayout(
      svg(
        [
          box(1, 'a', 0, -90, 50, -60),
          box(2, 'b', 40, -80, 90, -50),
          box(3, 'c', 100, -90, 150, -60),
          box(4, 'd', 170, -40, 230, -10),
          `<g id="node5" class="node"><title>e</title><ellipse cx="120" cy="-20" rx="10" ry="5"/></g>`,
        ].join('\n'),
      ),
    );
    expect(layoutProblems(layout)).toEqual(['d lies outside the 200×100 canvas', 'a and b overlap']);
  });

  it('refuses what is not a Graphviz SVG', () => {
    expect(() => readSvgLayout('<svg></svg>')).toThrow('not a Graphviz SVG: no viewBox');
  });
});

describe('PNG fonts', () => {
  it('says which package provides the font when it is missing', () => {
    expect(() => pngFontFiles(['/nonexistent/fonts'])).toThrow(
      "PNG needs the Liberation Sans font (Arial's metrics), looked for in /nonexistent/fonts: install fonts-liberation2 (Debian), or pass --no-png",
    );
  });
});
