// The data and storage tier's configuration rules: each bad input is the sample with
// one thing broken, and the message names the path and what is wrong.
import { describe, expect, it } from 'vitest';
import { parsePlatform } from '../../src/config/load.ts';
import type { PlatformInput } from '../../src/config/schema.ts';
import { problemsOf, sample } from './support.ts';

function prod(input: PlatformInput) {
  const environment = input.environments[0];
  if (environment?.name !== 'prod') throw new Error('test setup: the sample starts with prod');
  return environment;
}

describe('databases', () => {
  it('a backup retention of 0 is refused: it would turn automated backups off', () => {
    // GIVEN prod's database with no backups
    const input = sample();
    prod(input).database.backupRetentionDays = 0;
    // WHEN it is parsed / THEN the path and the consequence are named
    expect(problemsOf(input)).toEqual([
      'environments[0].database.backupRetentionDays: 0 days would turn automated backups off; use 1 to 35',
    ]);
  });

  it('an instance class of an unknown family is refused, listing the known ones', () => {
    const input = sample();
    prod(input).database.instanceClass = 'db.r7x.4xlarge';
    const [problem, ...others] = problemsOf(input);
    expect(others).toEqual([]);
    expect(problem).toMatch(
      /^environments\[0\]\.database\.instanceClass: db\.r7x\.4xlarge: RDS has no instance family "r7x" \(known: .*r7i.*\)$/,
    );
  });

  it('an instance class that is not of the db.<family>.<size> shape is refused', () => {
    const input = sample();
    prod(input).database.instanceClass = 'r7i.4xlarge';
    expect(problemsOf(input)).toEqual([
      'environments[0].database.instanceClass: r7i.4xlarge is not an RDS instance class such as db.r7g.large',
    ]);
  });

  it('a storage autoscaling ceiling at or below the allocated storage is refused', () => {
    const input = sample();
    prod(input).database.maxAllocatedStorageGiB = 500;
    expect(problemsOf(input)).toEqual([
      'environments[0].database.maxAllocatedStorageGiB: 500 must exceed allocatedStorageGiB (500)',
    ]);
  });

  it('a MySQL version outside 8.4 LTS is refused', () => {
    const input = sample();
    input.databases.engineVersion = '8.0.39';
    expect(problemsOf(input)).toEqual(['databases.engineVersion: 8.0.39 is not a MySQL 8.4 LTS version such as 8.4.7']);
  });

  it('defaults: 7 days of backups, deletion protection on, 256 MiB packets', () => {
    const input = sample();
    const parsed = parsePlatform(input, 'test.json');
    expect(parsed.environments[1]?.database).toMatchObject({ backupRetentionDays: 7, deletionProtection: true });
    expect(parsed.databases.maxAllowedPacketBytes).toBe(268435456);
  });
});

describe('Redis and OpenSearch', () => {
  it('a cache node type of an unknown family is refused', () => {
    const input = sample();
    prod(input).redis.sessionNodeType = 'cache.q9.large';
    expect(problemsOf(input)[0]).toMatch(
      /^environments\[0\]\.redis\.sessionNodeType: cache\.q9\.large: ElastiCache has no instance family "q9"/,
    );
  });

  it('more Redis replicas than the other AZs can hold are refused', () => {
    const input = sample();
    prod(input).redis.replicasPerGroup = 3;
    expect(problemsOf(input)).toEqual([
      'environments[0].redis.replicasPerGroup: 3 replicas and a primary need 4 AZs; the platform has 3',
    ]);
  });

  it('an OpenSearch node count that no AZ count divides is refused', () => {
    const input = sample();
    prod(input).search.dataNodes = 5;
    expect(problemsOf(input)).toEqual([
      'environments[0].search.dataNodes: 5 data nodes cannot be spread evenly over two or three AZs; use 1, an even number, or a multiple of 3',
    ]);
  });

  it('an OpenSearch instance type without the .search suffix is refused', () => {
    const input = sample();
    prod(input).search.instanceType = 'r7g.large';
    expect(problemsOf(input)).toEqual([
      'environments[0].search.instanceType: r7g.large is not an OpenSearch instance class such as r7g.large.search',
    ]);
  });
});

describe('file shares and Magento mounts', () => {
  it('with EFS, a share list that does not match the Magento mounts is refused from both sides', () => {
    // GIVEN EFS, a share nobody mounts and a mount of a share that does not exist
    const input = sample();
    input.storage.fileServer = { type: 'efs' };
    input.storage.shares.push({ name: 'magento-export', sizeGiB: { prod: 10, preprod: 10 } });
    input.magento.mounts[3] = { path: 'sitemap', share: 'magento-sitemaps' };
    // WHEN it is parsed / THEN both ends are named, with what EFS needs
    expect(problemsOf(input)).toEqual([
      'storage.shares[3].name: magento-sitemap is not mounted by Magento (magento.mounts); with EFS each share is an access point that only Magento uses',
      'storage.shares[4].name: magento-export is not mounted by Magento (magento.mounts); with EFS each share is an access point that only Magento uses',
      'magento.mounts[3].share: magento-sitemaps is not one of storage.shares (client-media, magento-statics, magento-client, magento-sitemap, magento-export): with EFS, every Magento mount needs its access point',
    ]);
  });

  it('with the NFS server, a share without a size for an environment is refused', () => {
    const input = sample();
    const media = input.storage.shares[0];
    if (!media) throw new Error('test setup: the sample has shares');
    media.sizeGiB = { prod: 1000 };
    expect(problemsOf(input)).toEqual(['storage.shares[0].sizeGiB: no size for environment preprod']);
  });

  it('a size for an environment that does not exist is refused (a typo would silently size nothing)', () => {
    const input = sample();
    const media = input.storage.shares[0];
    if (!media) throw new Error('test setup: the sample has shares');
    media.sizeGiB = { ...media.sizeGiB, prd: 1000 };
    expect(problemsOf(input)).toEqual(['storage.shares[0].sizeGiB.prd: prd is not an environment (prod, preprod)']);
  });

  it('the connector share may not reuse a Magento share name, nor two mounts one path', () => {
    const input = sample();
    input.storage.connectorShare.name = 'client-media';
    input.magento.mounts.push({ path: 'pub/media', share: 'magento-client' });
    expect(problemsOf(input)).toEqual([
      'storage.shares[0].name: client-media is also storage.connectorShare.name',
      'magento.mounts[4].path: pub/media is already mounted (magento.mounts[0])',
    ]);
  });

  it('an AMI id that is not one is refused', () => {
    const input = sample();
    input.storage.fileServer = { type: 'nfs-server', instanceType: 'm7i.large', amiId: 'al2023-latest' };
    expect(problemsOf(input)).toEqual([
      'storage.fileServer.amiId: al2023-latest is not an AMI id such as ami-0123456789abcdef0',
    ]);
  });

  it('a backup retention of 0 days is refused', () => {
    const input = sample();
    input.storage.backup = { retentionDays: 0 };
    expect(problemsOf(input)).toEqual([
      'storage.backup.retentionDays: 0 days would keep no recovery point; use at least 1',
    ]);
  });

  it('access logs kept less than a year are refused (PCI DSS 10.7)', () => {
    const input = sample();
    input.storage.buckets = { accessLogExpirationDays: 90 };
    expect(problemsOf(input)).toEqual([
      'storage.buckets.accessLogExpirationDays: PCI DSS 10.7 keeps audit logs for at least 365 days',
    ]);
  });

  it('the NFS server refuses a seventh share: each environment has six volume slots', () => {
    const input = sample();
    for (const name of ['extra-a', 'extra-b', 'extra-c']) {
      input.storage.shares.push({ name, sizeGiB: { prod: 1, preprod: 1 } });
      input.magento.mounts.push({ path: `var/${name}`, share: name });
    }
    expect(problemsOf(input)).toEqual([
      'storage.shares: 7 shares; the NFS server holds 6 per environment (use EFS for more)',
    ]);
  });

  it("a connector share named like an environment's share on the server is refused", () => {
    const input = sample();
    input.storage.connectorShare.name = 'prod-client-media';
    expect(problemsOf(input)).toEqual([
      "storage.connectorShare.name: prod-client-media is also the name of prod's share client-media on the server; choose another",
    ]);
  });
});
