// The sample platform: the hosting document's values. Where the document masks a
// value (XXX.0.0.0/16, the account, the peers' addresses) this file holds a
// realistic stand-in; public addresses come from the documentation ranges of
// RFC 5737 so that nothing here points at a real network.
import type { PlatformInput } from '../src/config/schema.ts';

export const platform = {
  client: { name: 'client' },
  aws: {
    account: '123456789012',
    region: 'eu-west-3',
    availabilityZones: ['eu-west-3a', 'eu-west-3b', 'eu-west-3c'],
  },
  domains: {
    public: 'client.url',
    internal: 'internal-client.url',
  },
  network: {
    vpcCidr: '10.0.0.0/16',
    // The first subnet of each role hosts the instances that need no high availability.
    publicSubnets: [
      { az: 'eu-west-3a', cidr: '10.0.1.0/24' },
      { az: 'eu-west-3b', cidr: '10.0.2.0/24' },
      { az: 'eu-west-3c', cidr: '10.0.3.0/24' },
    ],
    privateSubnets: [
      { az: 'eu-west-3a', cidr: '10.0.101.0/24' },
      { az: 'eu-west-3b', cidr: '10.0.102.0/24' },
      { az: 'eu-west-3c', cidr: '10.0.103.0/24' },
    ],
    flowLogs: { retentionDays: 365, trafficType: 'ALL' },
    vpn: {
      amazonSideAsn: 64512,
      connections: [
        { name: 'Lan', publicIp: '203.0.113.10', routing: { type: 'static', cidrs: ['192.168.10.0/24'] } },
        { name: 'Ml', publicIp: '198.51.100.20', routing: { type: 'static', cidrs: ['192.168.20.0/24'] } },
        { name: 'Cetsi', publicIp: '192.0.2.30', routing: { type: 'bgp', asn: 65010 } },
      ],
    },
  },
  // Document: "Latest version sources are cloned (both Magento code, and Beanstalk configuration
  // files)"; the configuration repository's prod and preprod branches.
  release: {
    applications: {
      magento: {
        repository: 'git@github.com:client/magento.git',
        configRepository: 'git@github.com:client/magento-beanstalk-config.git',
      },
      pim: { repository: 'git@github.com:client/pim.git' },
      connector: { repository: 'git@github.com:client/connection-app.git' },
      mirakl: { repository: 'git@github.com:client/mirakl-hipay-connector.git' },
    },
    maintenance: { staffCidrs: ['203.0.113.0/28'] },
  },
  // Document 7.F: every alarm emails the list; the VPN alarms are named DLM-<peer> VPN status.
  alerting: {
    emails: ['aws-alerts@client.url'],
    vpnAlarms: { prefix: 'DLM', peers: ['Lan', 'Ml', 'Cetsi'] },
  },
  // Document 6.D: the HAProxy gateway, split in two because both FTP servers need port 21.
  gateway: {
    whitelist: ['203.0.113.0/28', '198.51.100.64/27'],
    servers: [
      {
        name: 'windows',
        instanceType: 't3.small',
        amiId: 'ami-0c0f4d0d53a6b2f1e',
        backend: 'windows',
        services: [
          { name: 'smb', ports: { from: 445 } },
          { name: 'custom-app', ports: { from: 8700, to: 8800 } },
          { name: 'rdp', ports: { from: 3389 } },
          { name: 'ftp', ports: { from: 21 } },
          // The document's passive range 2048-4096 contains RDP's 3389: a port is forwarded once,
          // and both go to the same Windows host, so the range is listed around it.
          { name: 'ftp-passive-low', ports: { from: 2048, to: 3388 } },
          { name: 'ftp-passive-high', ports: { from: 3390, to: 4096 } },
        ],
      },
      {
        name: 'ftp',
        instanceType: 't3.small',
        amiId: 'ami-0c0f4d0d53a6b2f1e',
        backend: 'connector',
        services: [
          { name: 'ftp', ports: { from: 21 } },
          { name: 'ftp-passive', ports: { from: 2048, to: 4096 } },
        ],
      },
    ],
  },
  // Document 2, 3, 4: one instance each, on the shared apps database, over HTTPS (a deviation).
  apps: {
    pim: {
      hostName: 'pim.client.url',
      instanceType: 't3.medium',
      solutionStackName: '64bit Amazon Linux 2023 v4.7.5 running PHP 8.3',
      schemaUpdateCommand: 'php bin/console doctrine:schema:update --force --no-interaction',
    },
    connector: {
      hostName: 'connector.client.url',
      instanceType: 't3.medium',
      solutionStackName: '64bit Amazon Linux 2023 v4.7.5 running PHP 8.3',
      schemaUpdateCommand: 'php bin/console doctrine:migrations:migrate --no-interaction',
      ftp: { user: 'ftpclient', passivePorts: { from: 2048, to: 4096 }, uploadDirectory: 'ftp' },
    },
    mirakl: {
      hostName: 'mirakl.client.url',
      instanceType: 't3.small',
      solutionStackName: '64bit Amazon Linux 2023 v4.7.5 running PHP 8.3',
      schemaUpdateCommand: 'php bin/console doctrine:schema:update --force --no-interaction',
      cron: [{ schedule: '*/10 * * * *', command: 'php bin/console hipay:cashout:process' }],
    },
  },
  // Document 5: installed by hand, so pinned; its two extra volumes live in AppsData.
  windows: {
    instanceType: 'm6i.xlarge',
    amiId: 'ami-0a1b2c3d4e5f60718',
    volumes: [{ sizeGiB: 200 }, { sizeGiB: 500 }],
  },
  environments: [
    {
      name: 'prod',
      magento: {
        frontend: { instanceType: 'c7i.xlarge', instances: 4 },
        backOffice: { instanceType: 'm7i.xlarge', instances: 1 },
        // The store's names, and the origin CloudFront fetches media and statics from (7.C).
        hostNames: ['client.url', 'www.client.url', 'origin.client.url'],
      },
      // r4.4xlarge (16 vCPU, 122 GiB) -> r7i.4xlarge (16 vCPU, 128 GiB), with a synchronous standby.
      // (RDS offers no r7g in eu-west-3: the synth's CloudFormation validation knows the region's classes.)
      database: {
        instanceClass: 'db.r7i.4xlarge',
        multiAz: true,
        allocatedStorageGiB: 500,
        maxAllocatedStorageGiB: 2000,
      },
      // A primary and a read replica in another AZ, for the cache and for the sessions.
      redis: { cacheNodeType: 'cache.r7g.large', sessionNodeType: 'cache.r7g.large', replicasPerGroup: 1 },
      search: { instanceType: 'r7g.large.search', dataNodes: 2, volumeGiB: 100 },
    },
    {
      name: 'preprod',
      magento: {
        frontend: { instanceType: 't3.large', instances: 1 },
        backOffice: { instanceType: 't3.large', instances: 1 },
        hostNames: ['preprod.client.url'],
        // Pre-production's load balancer may be rebuilt at will.
        loadBalancer: { deletionProtection: false },
      },
      // r4.large (2 vCPU, 15.25 GiB) -> r7i.large (2 vCPU, 16 GiB), single-AZ.
      database: { instanceClass: 'db.r7i.large', multiAz: false, allocatedStorageGiB: 100 },
      redis: { cacheNodeType: 'cache.t4g.medium', sessionNodeType: 'cache.t4g.small', replicasPerGroup: 0 },
      search: { instanceType: 't3.medium.search', dataNodes: 1, volumeGiB: 20 },
    },
  ],
  // Document 7.E: the imported *.client.url certificate (a wildcard covers one label, so the
  // apex is listed as the certificate's other name).
  certificate: {
    arn: 'arn:aws:acm:eu-west-3:123456789012:certificate/0f1e2d3c-4b5a-4697-8877-665544332211',
    coveredNames: ['*.client.url', 'client.url'],
  },
  // Document 7.C: the media and static distributions fetch from prod; the certificate imported
  // again in us-east-1 for them (CloudFront's region). The public zone is created (no id given).
  edge: {
    environment: 'prod',
    cloudFrontCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d',
  },
  // Document 6.A, 6.B and the Ansible and phpMyAdmin hosts.
  ops: {
    openVpn: { instanceType: 't3.small', amiId: 'ami-0c0f4d0d53a6b2f1e', clientCidr: '10.8.0.0/24' },
    rundeck: { instanceType: 't3.large', amiId: 'ami-0c0f4d0d53a6b2f1e', volumeGiB: 50, project: 'client-magento' },
    ansible: { instanceType: 't3.small' },
    phpMyAdmin: { instanceType: 't3.small', version: '5.2.2' },
  },
  databases: {
    engineVersion: '8.4.7',
    maxAllowedPacketBytes: 268435456,
    // The PIM, the custom connection application and the Mirakl connector share it.
    apps: { instanceClass: 'db.m7g.large', multiAz: false, allocatedStorageGiB: 100 },
  },
  engines: {
    redis: '7.1',
    openSearch: 'OpenSearch_2.19',
  },
  storage: {
    fileServer: {
      type: 'nfs-server',
      instanceType: 'm7i.large',
      amiId: 'ami-0c0f4d0d53a6b2f1e',
      volumeWaitSeconds: 600,
    },
    // Document 6.C: the four shares, one volume each per environment.
    shares: [
      { name: 'client-media', sizeGiB: { prod: 1000, preprod: 100 } },
      { name: 'magento-statics', sizeGiB: { prod: 100, preprod: 20 } },
      { name: 'magento-client', sizeGiB: { prod: 50, preprod: 10 } },
      { name: 'magento-sitemap', sizeGiB: { prod: 10, preprod: 5 } },
    ],
    connectorShare: { name: 'connector-ftp', sizeGiB: 200 },
    buckets: { tempStorageExpirationDays: 30, accessLogExpirationDays: 365, terraformState: false },
    backup: { retentionDays: 35, scheduleCron: 'cron(0 2 * * ? *)' },
  },
  magento: {
    // Amazon Linux 2023 with PHP 8.3 (Magento 2.4.7+); `npm run refresh-platform` moves the pin.
    solutionStackName: '64bit Amazon Linux 2023 v4.7.5 running PHP 8.3',
    // Document 7.F: the load balancer's health check is Magento's health_check.php.
    healthCheck: { path: '/pub/health_check.php', deregistrationDelaySeconds: 120 },
    deployment: { timeoutSeconds: 1800 },
    // The document's deploy job adjusts memory_limit ("Adjust RAM limitations").
    php: { memoryLimit: '2G' },
    // Document 1: the NFS mounts of the Magento instances, relative to the release.
    mounts: [
      { path: 'pub/media', share: 'client-media' },
      { path: 'pub/static', share: 'magento-statics' },
      { path: 'client', share: 'magento-client' },
      { path: 'sitemap', share: 'magento-sitemap' },
    ],
  },
} satisfies PlatformInput;

export default platform;
