// `npm run refresh-platform -- [--config config/platform.ts] [--region <r>] [--write]`: moves the
// pinned Elastic Beanstalk platform (`solutionStackName`) to the newest version Elastic Beanstalk
// offers on the same branch (same OS, same PHP version). Synthesis never looks a platform up: an
// operator runs this on purpose, reviews the change, and commits it. Without --write, only prints.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ElasticBeanstalkPlatformCatalog } from '../src/aws/elastic-beanstalk.ts';
import { loadPlatform, SAMPLE_CONFIG } from '../src/config/load.ts';
import { newestSolutionStack, readSolutionStackName, rewriteSolutionStackName } from '../src/config/solution-stack.ts';

const root = resolve(import.meta.dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: resolve(root, SAMPLE_CONFIG) },
      region: { type: 'string' },
      write: { type: 'boolean', default: false },
    },
  });
  const file = resolve(values.config);
  const shown = relative(process.cwd(), file) || file;

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`${shown}: cannot be read: ${(error as Error).message}`);
  }
  const current = readSolutionStackName(text, shown);
  // The region of the configuration, unless named: --region also serves a configuration that does not validate.
  const region = values.region ?? (await loadPlatform(file)).aws.region;

  const names = await new ElasticBeanstalkPlatformCatalog(region).solutionStackNames();
  const newest = newestSolutionStack(names, current);
  if (!names.includes(current)) {
    process.stderr.write(`note: ${current} is no longer offered in ${region}\n`);
  }
  if (newest === current) {
    process.stdout.write(`${current}: up to date (${region})\n`);
    return;
  }
  process.stdout.write(`${current} -> ${newest} (${region})\n`);
  if (!values.write) {
    process.stdout.write(`${shown} left as it is: pass --write to update it\n`);
    return;
  }
  // Whole or not at all: a temporary file renamed over the configuration.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, rewriteSolutionStackName(text, newest, shown));
  await rename(temporary, file);
  process.stdout.write(`${shown} updated\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`refresh-platform: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
