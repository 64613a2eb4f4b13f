// Releasing Magento against a simulated AWS (fake-aws.ts, over aws-sdk-client-mock): the calls a
// release makes and their order on each path, and what it leaves behind when a step fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MagentoRelease, planWindows, ReleaseFailure, type Strategy } from '../../src/release/magento-release.ts';
import { samplePlatform } from '../support.ts';
import { BACKOFFICE_TG, FakeAws, FRONTEND_TG } from './fake-aws.ts';

const RELEASE_ID = '1764151200';

describe('MagentoRelease', () => {
  let aws: FakeAws;
  let dir: string;
  let artifact: string;
  const progress: string[] = [];

  beforeEach(() => {
    aws = new FakeAws();
    dir = mkdtempSync(join(tmpdir(), 'storestack-release-'));
    artifact = join(dir, `magento-prod-${RELEASE_ID}.zip`);
    writeFileSync(artifact, 'PK fake');
    progress.length = 0;
  });

  afterEach(() => {
    aws.restore();
    rmSync(dir, { recursive: true, force: true });
  });

  function release(strategy: Strategy = 'safe', smokeStatus = 200): MagentoRelease {
    return new MagentoRelease(
      {
        platform: samplePlatform(),
        environment: 'prod',
        strategy,
        artifact: { file: artifact, sha256: 'a'.repeat(64), releaseId: RELEASE_ID },
        owner: 'rundeck@test',
        progress: (line) => progress.push(line),
        now: () => aws.clock.now(),
        smokeTest: async () => smokeStatus,
      },
      aws.operations(),
    );
  }

  const preflightSays = (verdict: 'current' | 'upgrade') =>
    aws.answers.set('preflight', { exitCode: 0, stdout: `storestack-preflight: ${verdict}\n` });

  it('releases code without a schema change with no maintenance: lock, artifact, statics, preflight, rolling deploys', async () => {
    // GIVEN a preflight that finds the database current
    preflightSays('current');
    // WHEN the release runs
    const summary = await release().execute();
    // THEN the front end rolls, then the back office, and nothing touches the listener or the database
    expect(aws.mutations()).toEqual([
      'PutParameter /storestack/prod/release-lock/magento',
      `PutObject s3://client-release-artifacts/magento/${RELEASE_ID}.zip`,
      `CreateApplicationVersion ${RELEASE_ID} s3://client-release-artifacts/magento/${RELEASE_ID}.zip`,
      `SendCommand i-0b000001 publish statics ${RELEASE_ID}`,
      `SendCommand i-0b000001 preflight ${RELEASE_ID}`,
      `UpdateEnvironment client-prod-frontend ${RELEASE_ID}`,
      `UpdateEnvironment client-prod-backoffice ${RELEASE_ID}`,
      'DeleteParameter /storestack/prod/release-lock/magento',
    ]);
    expect(summary.upgrade).toBe(false);
    expect(summary.maintenanceSeconds).toBe(0);
    expect(aws.environments.get('client-prod-frontend')?.version).toBe(RELEASE_ID);
    // The statics go to version<N>/ on the statics share, whole (moved into place) and before any switch.
    const statics = aws.scripts.find((script) => script.comment.startsWith('publish statics'))?.script ?? '';
    expect(statics).toContain("dir='/mnt/storestack/magento-statics'");
    expect(statics).toContain(`target="$dir/version${RELEASE_ID}"`);
    expect(statics).toContain(`aws s3 cp --only-show-errors 's3://client-release-artifacts/magento/${RELEASE_ID}.zip'`);
  });

  it('puts maintenance at the ALB, confirmed, before anything else moves when the schema changes', async () => {
    // GIVEN a preflight that finds an upgrade
    preflightSays('upgrade');
    // WHEN the release runs
    const summary = await release().execute();
    // THEN the order is the DESIGN's
    const mutations = aws.mutations();
    const index = (prefix: string) => mutations.findIndex((entry) => entry.startsWith(prefix));
    const lastIndex = (prefix: string) => mutations.map((entry) => entry.startsWith(prefix)).lastIndexOf(true);
    expect(index('CreateRule')).toBeGreaterThan(index(`SendCommand i-0b000001 preflight`));
    // Beanstalk's rules (priorities 1, 2) are moved down, in order, for ours to come first.
    expect(index('SetRulePriorities')).toBeLessThan(index('CreateRule'));
    expect(lastIndex('CreateRule')).toBeLessThan(index('SendCommand i-0b000001 pause cron'));
    expect(index('SendCommand i-0b000001 pause cron')).toBeLessThan(index('CreateDBSnapshot'));
    expect(mutations[index('CreateDBSnapshot')]).toBe(
      `CreateDBSnapshot client-magento-prod client-magento-prod-release-${RELEASE_ID}`,
    );
    expect(index('CreateDBSnapshot')).toBeLessThan(index(`SendCommand i-0b000001 setup:upgrade ${RELEASE_ID}`));
    expect(index(`SendCommand i-0b000001 setup:upgrade`)).toBeLessThan(index('SendCommand i-0b000001 cache:flush'));
    expect(index('SendCommand i-0b000001 cache:flush')).toBeLessThan(index('UpdateEnvironment client-prod-frontend'));
    expect(index('UpdateEnvironment client-prod-frontend')).toBeLessThan(
      index('UpdateEnvironment client-prod-backoffice'),
    );
    expect(index('UpdateEnvironment client-prod-backoffice')).toBeLessThan(index('DeleteRule'));
    expect(lastIndex('DeleteRule')).toBeLessThan(index('SendCommand i-0b000001 resume cron'));
    // No environment update before the rules were read back (the confirmation).
    const log = aws.log;
    const confirmed = log.map((entry, i) =>
      entry === 'DescribeRules' && log[i - 1]?.startsWith('CreateRule') ? i : -1,
    );
    const firstConfirmation = confirmed.find((i) => i >= 0) ?? -1;
    expect(firstConfirmation).toBeGreaterThan(0);
    expect(firstConfirmation).toBeLessThan(log.findIndex((entry) => entry.startsWith('UpdateEnvironment')));
    expect(aws.maintenanceRules()).toEqual([]);
    expect(summary.upgrade).toBe(true);
    expect(summary.maintenanceSeconds).toBeGreaterThan(0);
  });

  it("builds maintenance rules within the ALB's limits: exempt addresses, statics and media served, a 503 page", async () => {
    // GIVEN an upgrade whose smoke test fails: the database is migrated, so maintenance stays on
    preflightSays('upgrade');
    await expect(release('safe', 500).execute()).rejects.toThrow(ReleaseFailure);
    // THEN the rules come first, in this order: the exempt addresses (the staff's and the three
    // NAT gateways') to the back office beside /backend/*, then to the front end; the statics and
    // media for everyone; then the 503 page
    const rules = aws.maintenanceRules().sort((a, b) => a.priority - b.priority);
    const exempt = ['203.0.113.0/28', '198.51.100.1/32', '198.51.100.2/32', '198.51.100.3/32'];
    expect(
      rules.map((rule) => [
        rule.priority,
        rule.conditions,
        rule.actions?.[0]?.TargetGroupArn ?? rule.actions?.[0]?.Type,
      ]),
    ).toEqual([
      [
        1,
        [
          { Field: 'path-pattern', PathPatternConfig: { Values: ['/backend/*'] } },
          { Field: 'source-ip', SourceIpConfig: { Values: exempt } },
        ],
        BACKOFFICE_TG,
      ],
      [2, [{ Field: 'source-ip', SourceIpConfig: { Values: exempt } }], FRONTEND_TG],
      [
        3,
        [
          {
            Field: 'path-pattern',
            PathPatternConfig: { Values: ['/static/*', '/pub/static/*', '/media/*', '/pub/media/*'] },
          },
        ],
        FRONTEND_TG,
      ],
      [4, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }], 'fixed-response'],
    ]);
    expect(rules[3]?.actions?.[0]?.FixedResponseConfig).toEqual({
      StatusCode: '503',
      ContentType: 'text/html',
      MessageBody: samplePlatform().release.maintenance.page,
    });
    // Beanstalk's rules moved behind ours, in their order: /backend/* still before the front end.
    const beanstalk = aws.rules.filter((rule) => !rules.includes(rule)).sort((a, b) => a.priority - b.priority);
    expect(beanstalk.map((rule) => [rule.priority, rule.actions?.[0]?.TargetGroupArn])).toEqual([
      [5, BACKOFFICE_TG],
      [6, FRONTEND_TG],
    ]);
  });

  it('refuses a second release while one holds the lock, and changes nothing', async () => {
    // GIVEN a lock held by someone else
    aws.parameters.set(
      '/storestack/prod/release-lock/magento',
      JSON.stringify({
        owner: 'alice@rundeck',
        since: '2026-11-26T09:55:00Z',
        purpose: 'release magento 1764150000 to prod',
      }),
    );
    // WHEN a release starts
    const failure = await release()
      .execute()
      .catch((error: unknown) => error);
    // THEN it is refused, naming the owner, and only the lock attempt was made
    expect(failure).toBeInstanceOf(ReleaseFailure);
    expect((failure as ReleaseFailure).message).toContain('alice@rundeck since 2026-11-26T09:55:00Z');
    expect(aws.mutations()).toEqual(['PutParameter /storestack/prod/release-lock/magento']);
    expect(aws.parameters.has('/storestack/prod/release-lock/magento')).toBe(true);
  });

  it('runs the document runbook for --strategy classic: maintenance on each front end, the migration once, deploy, statics once, flush and lift on every instance', async () => {
    preflightSays('upgrade');
    const summary = await release('classic').execute();
    const sends = aws
      .mutations()
      .filter((entry) => entry.startsWith('SendCommand') || entry.startsWith('UpdateEnvironment'));
    expect(sends).toEqual([
      'SendCommand i-0f000001 maintenance:enable',
      'SendCommand i-0f000002 maintenance:enable',
      'SendCommand i-0f000003 maintenance:enable',
      'SendCommand i-0f000004 maintenance:enable',
      `SendCommand i-0b000001 preflight ${RELEASE_ID}`,
      `SendCommand i-0b000001 setup:upgrade ${RELEASE_ID}`,
      `UpdateEnvironment client-prod-frontend ${RELEASE_ID}`,
      `UpdateEnvironment client-prod-backoffice ${RELEASE_ID}`,
      `SendCommand i-0b000001 publish statics ${RELEASE_ID}`,
      ...['i-0f000001', 'i-0f000002', 'i-0f000003', 'i-0f000004', 'i-0b000001'].map(
        (id) => `SendCommand ${id} cache:flush`,
      ),
      ...['i-0f000001', 'i-0f000002', 'i-0f000003', 'i-0f000004', 'i-0b000001'].map(
        (id) => `SendCommand ${id} maintenance:disable`,
      ),
    ]);
    expect(aws.log.some((entry) => entry.startsWith('CreateRule'))).toBe(false);
    expect(summary.maintenanceSeconds).toBeGreaterThan(0);
    expect(summary.upgrade).toBe(true);
  });

  it('runs no setup:upgrade in classic when the database is current', async () => {
    preflightSays('current');
    const summary = await release('classic').execute();
    expect(aws.mutations().filter((entry) => entry.includes('setup:upgrade'))).toEqual([]);
    expect(summary.upgrade).toBe(false);
  });

  describe('a failure injected at each step of a schema release', () => {
    it.each([
      ['PutObject', 'upload the artifact', false],
      ['CreateApplicationVersion', 'create the application version', false],
      ['SendCommand i-0b000001 publish statics', 'publish the static files', false],
      ['SendCommand i-0b000001 preflight', 'preflight: setup:db:status and app:config:status with the new code', false],
      ['CreateRule 3', 'maintenance on at the ALB (confirmed)', false],
      ['CreateRule 4', 'maintenance on at the ALB (confirmed)', false],
      ['SendCommand i-0b000001 pause cron', 'pause cron on the back office', false],
      ['CreateDBSnapshot', 'snapshot the database', false],
      ['SendCommand i-0b000001 setup:upgrade', 'setup:upgrade --keep-generated (once)', true],
      ['SendCommand i-0b000001 cache:flush', 'cache:flush (once)', true],
      ['UpdateEnvironment client-prod-frontend', 'deploy the front end', true],
      ['UpdateEnvironment client-prod-backoffice', 'deploy the back office', true],
      ['DeleteRule', 'maintenance off', true],
    ])(
      'fails at %s: names "%s", leaves maintenance on only after the migration (%s), releases the lock',
      async (call, step, migrated) => {
        preflightSays('upgrade');
        aws.failAt = call;
        const failure = (await release()
          .execute()
          .catch((error: unknown) => error)) as ReleaseFailure;
        expect(failure).toBeInstanceOf(ReleaseFailure);
        expect(failure.step).toBe(step);
        expect(failure.maintenanceLeftOn).toBe(migrated);
        expect(aws.maintenanceRules().length > 0).toBe(migrated);
        expect(aws.parameters.has('/storestack/prod/release-lock/magento')).toBe(false);
        if (migrated) {
          expect(failure.nextSteps[0]).toContain('maintenance stays ON');
          expect(failure.nextSteps.join('\n')).toContain(`client-magento-prod-release-${RELEASE_ID}`);
        } else {
          expect(failure.nextSteps.join('\n')).toContain(
            'aws elasticbeanstalk update-environment --environment-name client-prod-frontend --version-label 1700000000',
          );
        }
      },
    );

    it('fails on a smoke test that does not see the store, keeping maintenance on (the database is migrated)', async () => {
      preflightSays('upgrade');
      const failure = (await release('safe', 500)
        .execute()
        .catch((error: unknown) => error)) as ReleaseFailure;
      expect(failure.step).toBe('smoke test through the exempt path');
      expect(failure.maintenanceLeftOn).toBe(true);
      expect(aws.maintenanceRules()).toHaveLength(4);
    });
  });

  it("names the failing instance, its private IP and the eb-engine.log tail when Beanstalk's deployment fails", async () => {
    // GIVEN a front-end deployment that Beanstalk reports failed on i-0f2
    preflightSays('current');
    aws.failingDeploys.add('client-prod-frontend');
    aws.answers.set('eb-engine.log tail', {
      exitCode: 0,
      stdout: '2026/11/26 10:03:01 [ERROR] hook 10-mount-shares.sh failed\n',
    });
    // WHEN the release runs
    const failure = (await release()
      .execute()
      .catch((error: unknown) => error)) as ReleaseFailure;
    // THEN the failure says where and shows the log
    expect(failure.step).toBe('deploy the front end');
    expect(failure.instance).toEqual({ id: 'i-0f000002', privateIp: '10.0.101.20' });
    expect(failure.logTail).toContain('hook 10-mount-shares.sh failed');
    expect(aws.scripts.at(-1)).toMatchObject({
      instanceId: 'i-0f000002',
      script: expect.stringContaining('tail -n 60 /var/log/eb-engine.log'),
    });
    expect(failure.maintenanceLeftOn).toBe(false);
  });

  it('plans both branches of safe and the classic runbook from config alone, with their windows', () => {
    const safe = new MagentoRelease({
      platform: samplePlatform(),
      environment: 'prod',
      strategy: 'safe',
      artifact: { file: artifact, sha256: 'a'.repeat(64), releaseId: RELEASE_ID },
      owner: 'test',
      progress: () => {},
    }).plan();
    expect(safe.ifNoUpgrade?.every((step) => step.store !== 'maintenance (503)')).toBe(true);
    expect(safe.ifUpgrade?.[0]?.name).toBe('maintenance on at the ALB (confirmed)');
    const [noUpgrade, upgrade] = planWindows(safe);
    expect(noUpgrade?.maintenance).toBe(0);
    // 4 + 1 instances, one at a time: (240 s of hooks + 120 s of draining) each, plus the 10 min migration.
    expect(upgrade?.maintenance).toBe(5 + 5 + 300 + 600 + 10 + 5 * 360 + 10);
  });

  it('refuses a release id that is not numeric', () => {
    expect(
      () =>
        new MagentoRelease({
          platform: samplePlatform(),
          environment: 'prod',
          strategy: 'safe',
          artifact: { file: artifact, sha256: 'a'.repeat(64), releaseId: 'v1.2' },
          owner: 'test',
          progress: () => {},
        }),
    ).toThrow(/not numeric/);
  });

  it('reads the target groups from Beanstalk rules (exports for the fake)', () => {
    expect([FRONTEND_TG, BACKOFFICE_TG]).toHaveLength(2);
  });
});
