// The rendered hook, for both file systems, and its static body, checked by the real tools:
// bash -n and shellcheck.
import { join } from 'node:path';
import { describe } from 'vitest';
import {
  FTP_HOOK_BUNDLE_PATH,
  renderConnectorFtpFiles,
} from '../../../../src/assets/beanstalk/connector-ftp/render.ts';
import { PROJECT_ROOT } from '../../../support.ts';
import { itLintsScripts, itShellchecksBodies, scratchScripts } from '../../lint.ts';
import { bundleFile, sampleProps } from './fixtures.ts';

const BODIES = join(PROJECT_ROOT, 'src/assets/beanstalk/connector-ftp');

const HOOKS = [
  ['NFS server', bundleFile(renderConnectorFtpFiles(sampleProps()), FTP_HOOK_BUNDLE_PATH)],
  ['EFS', bundleFile(renderConnectorFtpFiles(sampleProps({ fileSystem: 'efs' })), FTP_HOOK_BUNDLE_PATH)],
] as const;

describe('the rendered FTP hook, checked by the real tools', () => {
  const written = scratchScripts('storestack-connector-ftp-lint-', '.sh');

  itLintsScripts(HOOKS, written);

  itShellchecksBodies(BODIES, ['setup-ftp.sh']);
});
