// The CDK app (`app` in cdk.json): `npx cdk synth|diff|deploy` run it. The
// configuration comes from STORESTACK_CONFIG, or the sample in config/platform.ts.
import { resolve } from 'node:path';
import { ConfigError, loadPlatform, sampleConfigPath } from '../src/config/load.ts';
import { createPlatformApp } from '../src/infra/app.ts';

const projectRoot = resolve(import.meta.dirname, '..');

try {
  const platform = await loadPlatform(process.env.STORESTACK_CONFIG || sampleConfigPath(projectRoot));
  createPlatformApp({ platform }).app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
