// The rendered Rundeck scripts checked by the real tools: bash -n and shellcheck.
import { join } from 'node:path';
import { describe } from 'vitest';
import {
  renderRundeckUserData,
  renderStorestackLauncher,
  renderVolumeBootstrap,
} from '../../../src/assets/rundeck/render.ts';
import { PROJECT_ROOT } from '../../support.ts';
import { itLintsScripts, itShellchecksBodies, scratchScripts } from '../lint.ts';
import { sampleUserDataProps, VOLUME_ID } from './fixtures.ts';

describe('the rendered Rundeck scripts, checked by the real tools', () => {
  const written = scratchScripts('storestack-rundeck-lint-', '.sh');

  itLintsScripts(
    [
      ['user data', renderRundeckUserData(sampleUserDataProps())],
      [
        'user data, other repo and timeouts',
        renderRundeckUserData({
          ...sampleUserDataProps(),
          repo: {
            baseUrl: 'https://mirror.example.com/rundeck/$basearch',
            gpgKeyUrl: 'https://mirror.example.com/key',
          },
          volumeWaitSeconds: 30,
          startTimeoutSeconds: 900,
        }),
      ],
      [
        "storestack's launcher",
        renderStorestackLauncher({ packageParameter: '/storestack/ops/storestack-package', region: 'eu-west-3' }),
      ],
      [
        'volume bootstrap',
        renderVolumeBootstrap({ name: 'rundeck-data', volumeId: VOLUME_ID, mountPoint: '/var/lib/rundeck' }),
      ],
    ],
    written,
  );

  itShellchecksBodies(join(PROJECT_ROOT, 'src/assets/rundeck'), [
    'bootstrap-volume.sh',
    'setup-rundeck.sh',
    'storestack-launcher.sh',
  ]);
});
