// The diagrams of a synthesized platform, laid out and checked: what `storestack diagram`
// writes and what the staleness test compares with the committed pictures.
import type { Platform } from '../config/schema.ts';
import type { Assembly } from './assembly.ts';
import { dotSource } from './dot.ts';
import { environmentDiagram } from './environment-diagram.ts';
import type { Diagram } from './graph.ts';
import { platformDiagram } from './platform-diagram.ts';
import { renderPng, renderSvg } from './render.ts';
import { layoutProblems, readSvgLayout } from './svg-layout.ts';

export interface RenderedDiagram {
  /** The file name without extension: `platform`, `magento-prod`. */
  readonly name: string;
  readonly dot: string;
  readonly svg: string;
  readonly png?: Buffer;
  /** Overlapping or off-canvas nodes (none in a readable picture). */
  readonly problems: readonly string[];
}

/** The platform's diagram, then one per environment (every one, or those named). */
export function platformDiagrams(assembly: Assembly, platform: Platform, environments?: readonly string[]): Diagram[] {
  const names = environments ?? platform.environments.map((environment) => environment.name);
  return [platformDiagram(assembly, platform), ...names.map((name) => environmentDiagram(assembly, platform, name))];
}

export async function renderDiagram(diagram: Diagram, options: { png: boolean }): Promise<RenderedDiagram> {
  const dot = dotSource(diagram);
  const svg = await renderSvg(dot);
  return {
    name: diagram.name,
    dot,
    svg,
    png: options.png ? await renderPng(svg) : undefined,
    problems: layoutProblems(readSvgLayout(svg)),
  };
}
