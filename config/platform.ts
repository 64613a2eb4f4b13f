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
  alerting: {
    emails: ['aws-alerts@client.url'],
  },
  gateway: {
    whitelist: ['203.0.113.0/28', '198.51.100.64/27'],
  },
  environments: [
    {
      name: 'prod',
      magento: {
        frontend: { instanceType: 'c7i.xlarge', instances: 4 },
        backOffice: { instanceType: 'm7i.xlarge', instances: 1 },
      },
    },
    {
      name: 'preprod',
      magento: {
        frontend: { instanceType: 't3.large', instances: 1 },
        backOffice: { instanceType: 't3.large', instances: 1 },
      },
    },
  ],
} satisfies PlatformInput;

export default platform;
