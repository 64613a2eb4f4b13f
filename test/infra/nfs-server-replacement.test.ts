// A routine deploy never replaces the NFS server (DESIGN: stateful resources keep their
// identity; docs/runbooks/replace-nfs-server.md). Each test diffs the Storage template of the
// sample against a variant the way `cdk diff` does, with CloudFormation's own replacement rules.
import { fullDiff, ResourceImpact, type TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Platform, PlatformInput } from '../../src/config/schema.ts';
import { createPlatformApp, readProjectContext } from '../../src/infra/app.ts';
import { PROJECT_ROOT, platformWith, samplePlatform } from '../support.ts';
import { ofType, type Resources } from './template.ts';

type StorageTemplate = { Resources: Resources };

function storageTemplate(platform: Platform): StorageTemplate {
  // The project's feature flags, as `cdk deploy` passes them; gates off (test/infra/gates.test.ts).
  const { stacks } = createPlatformApp({ platform, gates: false, context: readProjectContext(PROJECT_ROOT) });
  return Template.fromStack(stacks.storage).toJSON() as StorageTemplate;
}

function logicalIdsOf(template: StorageTemplate, type: string): string[] {
  return ofType(template.Resources, type).map(([logicalId]) => logicalId);
}

/** Every resource the diff changes, with its impact. */
function changes(diff: TemplateDiff): Record<string, ResourceImpact> {
  const changed: Record<string, ResourceImpact> = {};
  diff.resources.forEachDifference((logicalId, change) => {
    changed[logicalId] = change.changeImpact;
  });
  return changed;
}

describe('a routine deploy never replaces the NFS server', () => {
  let sample: StorageTemplate;
  let instanceId: string;
  let volumeIds: string[];

  /** The diff from the sample's Storage template to the one of the sample with `change` applied. */
  function diffWith(change: (input: PlatformInput) => void): TemplateDiff {
    return fullDiff(sample, storageTemplate(platformWith(change)));
  }

  beforeAll(() => {
    sample = storageTemplate(samplePlatform());
    [instanceId] = logicalIdsOf(sample, 'AWS::EC2::Instance') as [string];
    volumeIds = logicalIdsOf(sample, 'AWS::EC2::Volume');
    expect(volumeIds).toHaveLength(9);
  });

  it('updates the server in place on a user data change, and touches no volume nor attachment', () => {
    // GIVEN a change that only the rendered user data carries
    // WHEN the volume wait goes from 600 to 900 seconds
    const diff = diffWith((input) => {
      if (input.storage.fileServer.type === 'nfs-server') input.storage.fileServer.volumeWaitSeconds = 900;
    });

    // THEN the instance is the only change, on its UserData alone
    const instance = diff.resources.get(instanceId);
    expect(Object.keys(changes(diff))).toEqual([instanceId]);
    expect(Object.keys(instance.propertyUpdates)).toEqual(['UserData']);
    // AND it is not a replacement. CloudFormation's resource specification marks UserData as a
    // conditional replacement ("maybe", which cdk diff shows as MAY_REPLACE): an EBS-backed
    // instance is stopped, given the new user data and started again (same instance, same
    // volumes); only an instance-store-backed one would be replaced. The server's AMI is
    // EBS-backed (Amazon Linux 2023), and NfsServer sets userDataCausesReplacement: false so that
    // CDK adds no hash of the user data to the logical ID, which would be a certain replacement.
    expect(instance.changeImpact).not.toBe(ResourceImpact.WILL_REPLACE);
    expect(instance.changeImpact).toBe(ResourceImpact.MAY_REPLACE);
    for (const volumeId of volumeIds) expect(diff.resources.get(volumeId).isDifferent, volumeId).toBe(false);
  });

  it('runs the literal AMI id of the config: an image AWS publishes cannot change the template', () => {
    // A looked-up "latest" image would be a template parameter (an SSM parameter type) or a
    // context lookup; a pinned id is a literal string.
    const imageId = sample.Resources[instanceId]?.Properties.ImageId;
    expect(imageId).toBe((samplePlatform().storage.fileServer as { amiId: string }).amiId);
    expect(typeof imageId).toBe('string');
    const parameters = Object.keys((sample as { Parameters?: object }).Parameters ?? {});
    expect(parameters).toEqual(['BootstrapVersion']);
  });

  it('synthesizes the same template twice: a deploy with no config change changes nothing', () => {
    const again = storageTemplate(samplePlatform());
    expect(again).toEqual(sample);
    expect(fullDiff(sample, again).isEmpty).toBe(true);
  });

  it('resizes a grown volume in place and leaves the server alone', () => {
    const diff = diffWith((input) => {
      const media = input.storage.shares.find((share) => share.name === 'client-media');
      if (media) media.sizeGiB.prod = 1500;
    });
    // EBS elastic volumes: Size is "Update requires: No interruption".
    expect(changes(diff)).toEqual({ NfsServerVolumeprodclientmedia7D8AC331: ResourceImpact.WILL_UPDATE });
  });

  it('step 1 of a deliberate replacement detaches the volumes and lifts termination protection, in place', () => {
    // GIVEN the runbook's first deploy
    // WHEN storage.fileServer.replacing is set
    const diff = diffWith((input) => {
      if (input.storage.fileServer.type === 'nfs-server') input.storage.fileServer.replacing = true;
    });

    // THEN the attachments go, the instance is updated without interruption, no volume changes
    const changed = changes(diff);
    const attachments = logicalIdsOf(sample, 'AWS::EC2::VolumeAttachment');
    expect(attachments).toHaveLength(9);
    for (const attachment of attachments) expect(changed[attachment]).toBe(ResourceImpact.WILL_DESTROY);
    expect(changed[instanceId]).toBe(ResourceImpact.WILL_UPDATE);
    expect(diff.resources.get(instanceId).propertyUpdates).toHaveProperty('DisableApiTermination');
    for (const volumeId of volumeIds) expect(diff.resources.get(volumeId).isDifferent, volumeId).toBe(false);
  });

  it('step 2 replaces the server on the new AMI and attaches the same volumes to it (the data stays)', () => {
    // GIVEN the state after step 1
    const detached = storageTemplate(
      platformWith((input) => {
        if (input.storage.fileServer.type === 'nfs-server') input.storage.fileServer.replacing = true;
      }),
    );
    // WHEN the new AMI is deployed and `replacing` is cleared
    const diff = fullDiff(
      detached,
      storageTemplate(
        platformWith((input) => {
          if (input.storage.fileServer.type === 'nfs-server') input.storage.fileServer.amiId = 'ami-0123456789abcdef0';
        }),
      ),
    );

    // THEN the instance is replaced (ImageId always replaces an instance), the attachments come
    // back for the new one, and no volume changes
    const changed = changes(diff);
    expect(changed[instanceId]).toBe(ResourceImpact.WILL_REPLACE);
    const attachments = logicalIdsOf(sample, 'AWS::EC2::VolumeAttachment');
    for (const attachment of attachments) expect(changed[attachment]).toBe(ResourceImpact.WILL_CREATE);
    for (const volumeId of volumeIds) expect(diff.resources.get(volumeId).isDifferent, volumeId).toBe(false);
  });

  it('a new AMI alone (skipping step 1) also changes no volume; the runbook forbids it', () => {
    // The attachments would be replaced while their volumes are still attached to the old
    // server, which CloudFormation cannot do: the deploy fails and rolls back. Nothing is lost.
    const diff = diffWith((input) => {
      if (input.storage.fileServer.type === 'nfs-server') input.storage.fileServer.amiId = 'ami-0123456789abcdef0';
    });
    expect(diff.resources.get(instanceId).changeImpact).toBe(ResourceImpact.WILL_REPLACE);
    for (const volumeId of volumeIds) expect(diff.resources.get(volumeId).isDifferent, volumeId).toBe(false);
  });

  // Each share keeps its slot (device) for life: environments reserve fixed blocks, so an
  // appended share takes a free slot and no existing attachment moves. A moved attachment would
  // be replaced while its volume is still attached, and the deploy would fail mid-way.
  it("adds a share without touching the existing shares' attachments", () => {
    const diff = diffWith((input) => {
      input.storage.shares.push({ name: 'exports', sizeGiB: { prod: 10, preprod: 5 } });
      input.magento.mounts.push({ path: 'var/export', share: 'exports' });
    });
    for (const attachmentId of logicalIdsOf(sample, 'AWS::EC2::VolumeAttachment')) {
      expect(diff.resources.get(attachmentId).isDifferent, attachmentId).toBe(false);
    }
    for (const volumeId of volumeIds) expect(diff.resources.get(volumeId).isDifferent, volumeId).toBe(false);
  });
});
