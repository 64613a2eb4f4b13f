// The entry of the operations package: storestack as the Rundeck build host runs it (see
// src/infra/ops/operations-package.ts). The package carries its configuration, platform.json
// beside this bundle, and the asset files under src/assets: it needs Node.js and nothing else.
import { join } from 'node:path';
import { run } from './run.ts';

process.exitCode = await run(process.argv.slice(2), {
  projectRoot: import.meta.dirname,
  configFile: join(import.meta.dirname, 'platform.json'),
  commands: 'operations',
});
