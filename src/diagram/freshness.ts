// Whether a cloud assembly still describes the sources: `storestack diagram` synthesizes
// again when cdk.out is missing or older than the configuration, cdk.json, cdk.context.json
// or any file under src/.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Why `cdkOut` must be synthesized again, or undefined when it is current. */
export function staleAssemblyReason(cdkOut: string, inputs: readonly string[]): string | undefined {
  let built: number;
  try {
    built = statSync(join(cdkOut, 'manifest.json')).mtimeMs;
  } catch {
    return `${cdkOut} has no manifest.json`;
  }
  for (const input of inputs) {
    for (const file of filesUnder(input)) {
      if (statSync(file).mtimeMs > built) return `${file} changed after ${cdkOut} was synthesized`;
    }
  }
  return undefined;
}

/** The files the synthesized platform depends on, in `projectRoot`, with the configuration file. */
export function synthesisInputs(projectRoot: string, configFile: string): string[] {
  return [configFile, join(projectRoot, 'cdk.json'), join(projectRoot, 'cdk.context.json'), join(projectRoot, 'src')];
}

function filesUnder(path: string): string[] {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return [];
  }
  if (!stats.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(path, entry.name)) : [join(path, entry.name)],
  );
}
