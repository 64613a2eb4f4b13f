import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiagramCommand } from '../../src/cli/commands/diagram.ts';
import type { Synthesize } from '../../src/cli/commands/synth.ts';
import { defaultCommands, main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import type { CfnTemplate } from '../../src/diagram/assembly.ts';
import type { SynthOptions } from '../../src/infra/synth.ts';
import { synthesizedTemplates, writeAssemblyDirectory } from '../diagram/support.ts';
import { PROJECT_ROOT, samplePlatform } from '../support.ts';

let templates: Map<string, CfnTemplate>;
beforeAll(() => {
  templates = synthesizedTemplates(samplePlatform());
});

/** The CLI with a synthesis that writes the sample's templates (and records each call). */
function cli(options: { synthOk?: boolean } = {}) {
  const output = new MemoryOutput();
  const context = { output, projectRoot: PROJECT_ROOT };
  const synthesized: SynthOptions[] = [];
  const synthesize: Synthesize = async (synthOptions) => {
    synthesized.push(synthOptions);
    const outdir = synthOptions.outdir ?? join(PROJECT_ROOT, 'cdk.out');
    if (options.synthOk === false) {
      return {
        ok: false,
        outdir,
        stacks: [],
        gates: [],
        findings: [{ gate: 'g', rule: 'r', location: 'l', message: 'm' }],
      };
    }
    writeAssemblyDirectory(outdir, templates);
    return { ok: true, outdir, stacks: [], gates: [], findings: [] };
  };
  const commands = defaultCommands(context).map((command) =>
    command instanceof DiagramCommand ? new DiagramCommand(context, synthesize) : command,
  );
  return { output, synthesized, run: (args: string[]) => main(args, context, commands) };
}

function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'storestack-diagram-'));
}

describe('storestack diagram', () => {
  it('synthesizes first when cdk.out is missing, then writes DOT, SVG and PNG for each diagram', async () => {
    const dir = temporaryDirectory();
    const { output, synthesized, run } = cli();
    expect(await run(['diagram', '--cdk-out', join(dir, 'cdk.out'), '--out', join(dir, 'diagrams')])).toBe(0);
    expect(synthesized.map((options) => options.outdir)).toEqual([join(dir, 'cdk.out')]);
    expect(output.stderr).toContain(`synthesizing first: ${join(dir, 'cdk.out')} has no manifest.json`);
    expect(readdirSync(join(dir, 'diagrams')).sort()).toEqual(
      ['magento-preprod', 'magento-prod', 'platform'].flatMap((name) => [`${name}.dot`, `${name}.png`, `${name}.svg`]),
    );
    expect(readFileSync(join(dir, 'diagrams/platform.dot'), 'utf8')).toMatch(/^digraph "platform" \{/);
    expect(readFileSync(join(dir, 'diagrams/magento-prod.svg'), 'utf8')).toContain('/var/app/current/pub/media');
  });

  it('reads a current cdk.out without synthesizing, and draws one environment with --env', async () => {
    const dir = temporaryDirectory();
    writeAssemblyDirectory(join(dir, 'cdk.out'), templates);
    const { synthesized, output, run } = cli();
    const code = await run([
      'diagram',
      '--env',
      'preprod',
      '--no-png',
      '--cdk-out',
      join(dir, 'cdk.out'),
      '--out',
      join(dir, 'out'),
    ]);
    expect(code).toBe(0);
    expect(synthesized).toEqual([]);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual([
      'magento-preprod.dot',
      'magento-preprod.svg',
      'platform.dot',
      'platform.svg',
    ]);
    expect(output.lines).toEqual([
      `${join(dir, 'out/platform')}.{dot,svg}`,
      `${join(dir, 'out/magento-preprod')}.{dot,svg}`,
    ]);
  });

  it('synthesizes again when a source is newer than cdk.out', async () => {
    const dir = temporaryDirectory();
    writeAssemblyDirectory(join(dir, 'cdk.out'), templates);
    const old = new Date(Date.UTC(2000, 0, 1));
    utimesSync(join(dir, 'cdk.out/manifest.json'), old, old);
    const { synthesized, output, run } = cli();
    expect(await run(['diagram', '--no-png', '--cdk-out', join(dir, 'cdk.out'), '--out', join(dir, 'out')])).toBe(0);
    expect(synthesized).toHaveLength(1);
    expect(output.stderr).toMatch(/synthesizing first: .* changed after .*cdk\.out was synthesized/);
  });

  it('names the corrupt file of a corrupt cdk.out and writes nothing', async () => {
    const dir = temporaryDirectory();
    writeAssemblyDirectory(join(dir, 'cdk.out'), templates);
    const template = join(dir, 'cdk.out/storestack-Network.template.json');
    writeFileSync(template, '{"Resources": {');
    // Newer than the template, so that the assembly counts as current.
    const manifest = join(dir, 'cdk.out/manifest.json');
    writeFileSync(manifest, readFileSync(manifest));
    const { synthesized, output, run } = cli();
    expect(await run(['diagram', '--cdk-out', join(dir, 'cdk.out'), '--out', join(dir, 'out')])).toBe(1);
    expect(synthesized).toEqual([]);
    expect(output.stderr).toContain(`cannot read the cloud assembly: ${template}: not valid JSON`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('refuses a manifest without stacks', async () => {
    const dir = temporaryDirectory();
    writeAssemblyDirectory(join(dir, 'cdk.out'), new Map());
    const { output, run } = cli();
    expect(await run(['diagram', '--cdk-out', join(dir, 'cdk.out'), '--out', join(dir, 'out')])).toBe(1);
    expect(output.stderr).toContain(`${join(dir, 'cdk.out/manifest.json')}: lists no CloudFormation stack`);
  });

  it('stops when the synthesis fails, writing nothing', async () => {
    const dir = temporaryDirectory();
    const { output, run } = cli({ synthOk: false });
    expect(await run(['diagram', '--cdk-out', join(dir, 'cdk.out'), '--out', join(dir, 'out')])).toBe(1);
    expect(output.stderr).toContain('synth failed (1 findings): run `npm start` to see them');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('refuses an environment the configuration does not have', async () => {
    const { output, run } = cli();
    expect(await run(['diagram', '--env', 'staging'])).toBe(2);
    expect(output.stderr).toContain('--env staging is not an environment of the configuration (prod, preprod)');
  });
});
