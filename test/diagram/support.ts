// The synthesized platform as the diagrams read it, built in memory (no gates: the
// templates' resources are the same, and each synthesis takes about a second).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Platform } from '../../src/config/schema.ts';
import { Assembly, type CfnTemplate } from '../../src/diagram/assembly.ts';
import { createPlatformApp, readProjectContext } from '../../src/infra/app.ts';
import { PROJECT_ROOT } from '../support.ts';

/** The templates of `platform`, keyed by artifact id as in cdk.out's manifest. */
export function synthesizedTemplates(platform: Platform): Map<string, CfnTemplate> {
  const { app } = createPlatformApp({ platform, gates: false, context: readProjectContext(PROJECT_ROOT) });
  return new Map(app.synth().stacks.map((stack) => [stack.id, stack.template as CfnTemplate]));
}

export function synthesizedAssembly(platform: Platform): Assembly {
  return new Assembly(synthesizedTemplates(platform));
}

/** Writes `templates` as a cloud assembly directory: manifest.json and one template file per stack. */
export function writeAssemblyDirectory(dir: string, templates: ReadonlyMap<string, CfnTemplate>): void {
  mkdirSync(dir, { recursive: true });
  const artifacts: Record<string, unknown> = {};
  for (const [id, template] of templates) {
    artifacts[id] = { type: 'aws:cloudformation:stack', properties: { templateFile: `${id}.template.json` } };
    writeFileSync(join(dir, `${id}.template.json`), JSON.stringify(template));
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
}
