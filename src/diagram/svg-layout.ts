// Reads back a laid-out diagram (Graphviz's SVG) to check that it can be read: every node's
// box, in the canvas's coordinates, inside the canvas and clear of every other node's box.

export interface NodeBox {
  /** The node's name in the DOT text (Graphviz writes it as the group's title). */
  readonly name: string;
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export interface SvgLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly NodeBox[];
}

/** The canvas size and each node's bounding box, from Graphviz's SVG output. */
export function readSvgLayout(svg: string): SvgLayout {
  const viewBox = /viewBox="([\d.\s-]+)"/.exec(svg)?.[1]?.trim().split(/\s+/).map(Number);
  if (viewBox?.length !== 4) throw new Error('not a Graphviz SVG: no viewBox');
  const [, , width = 0, height = 0] = viewBox;
  const translate = /<g id="graph0"[^>]*translate\(([-\d.]+)[ ,]([-\d.]+)\)/.exec(svg);
  const dx = Number(translate?.[1] ?? 0);
  const dy = Number(translate?.[2] ?? 0);

  const nodes: NodeBox[] = [];
  // Each top-level group (graph, cluster, node, edge) runs to the next one.
  const parts = svg.split(/(?=<g id="(?:node|edge|clust)\d+" class=)/);
  for (const part of parts) {
    if (!part.startsWith('<g id="node')) continue;
    const name = unescapeXml(/<title>([^<]*)<\/title>/.exec(part)?.[1] ?? '');
    const xs: number[] = [];
    const ys: number[] = [];
    const addPairs = (numbers: number[]) => {
      for (let index = 0; index + 1 < numbers.length; index += 2) {
        xs.push((numbers[index] ?? 0) + dx);
        ys.push((numbers[index + 1] ?? 0) + dy);
      }
    };
    for (const [, points = ''] of part.matchAll(/<poly(?:gon|line)[^>]* points="([^"]*)"/g))
      addPairs(numbersIn(points));
    for (const [, d = ''] of part.matchAll(/<path[^>]* d="([^"]*)"/g)) addPairs(numbersIn(d));
    for (const [element = ''] of part.matchAll(/<ellipse[^>]*>/g)) {
      const attribute = (key: string) => Number(new RegExp(` ${key}="([-\\d.]+)"`).exec(element)?.[1] ?? 0);
      const [cx, cy, rx, ry] = [attribute('cx'), attribute('cy'), attribute('rx'), attribute('ry')];
      addPairs([cx - rx, cy - ry, cx + rx, cy + ry]);
    }
    if (xs.length === 0) throw new Error(`node ${name}: no shape in the SVG`);
    nodes.push({ name, left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) });
  }
  return { width, height, nodes };
}

/** What makes the picture unreadable: overlapping node boxes, nodes off the canvas. */
export function layoutProblems(layout: SvgLayout, tolerance = 0.5): string[] {
  const problems: string[] = [];
  for (const node of layout.nodes) {
    if (
      node.left < -tolerance ||
      node.top < -tolerance ||
      node.right > layout.width + tolerance ||
      node.bottom > layout.height + tolerance
    ) {
      problems.push(`${node.name} lies outside the ${layout.width}×${layout.height} canvas`);
    }
  }
  for (let i = 0; i < layout.nodes.length; i++) {
    for (let j = i + 1; j < layout.nodes.length; j++) {
      const a = layout.nodes[i];
      const b = layout.nodes[j];
      if (!a || !b) continue;
      const overlapX = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const overlapY = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (overlapX > tolerance && overlapY > tolerance) problems.push(`${a.name} and ${b.name} overlap`);
    }
  }
  return problems;
}

function numbersIn(text: string): number[] {
  return [...text.matchAll(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g)].map(([number]) => Number(number));
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#45;/g, '-')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}
