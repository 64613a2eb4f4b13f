// The platform schema's behaviour, input by input. Each bad input is the sample
// configuration (the hosting document's values) with one thing broken, so a test
// fails for the reason it names and not because the rest of the input is off.
import { describe, expect, it } from 'vitest';
import { platform } from '../../config/platform.ts';
import { ConfigError, parsePlatform } from '../../src/config/load.ts';
import { problemsOf, sample } from './support.ts';

/** `items[index]`, which the test knows is there. */
function nth<T>(items: T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`test setup: the sample has no element ${index}`);
  return item;
}

/** Adds keys the schema does not know to `target`, bypassing the type. */
function addKeys(target: object, keys: Record<string, unknown>): void {
  Object.assign(target, keys);
}

describe('the sample configuration', () => {
  it('parses without problems', () => {
    // GIVEN the sample configuration
    // WHEN it is parsed
    const parsed = parsePlatform(platform, 'config/platform.ts');
    // THEN its values come through unchanged
    expect(parsed.client.name).toBe('client');
    expect(parsed.aws).toEqual(platform.aws);
    expect(parsed.network.privateSubnets).toEqual(platform.network.privateSubnets);
    expect(parsed.network.vpn.connections).toEqual(platform.network.vpn.connections);
    expect(parsed.environments.map((e) => e.name)).toEqual(['prod', 'preprod']);
  });

  it('gets the default project name when it gives none', () => {
    // GIVEN the sample, which sets no project
    expect('project' in platform).toBe(false);
    // WHEN it is parsed
    const parsed = parsePlatform(platform, 'config/platform.ts');
    // THEN the project is storestack
    expect(parsed.project).toBe('storestack');
  });

  it('is not modified by parsing', () => {
    // GIVEN a copy of the sample
    const input = sample();
    const before = structuredClone(input);
    // WHEN it is parsed
    parsePlatform(input, 'test.json');
    // THEN the input still lacks the defaulted fields
    expect(input).toEqual(before);
  });
});

describe('defaults', () => {
  it('flow logs left out entirely default to all traffic kept 365 days', () => {
    // GIVEN the sample without network.flowLogs
    const input = sample();
    delete input.network.flowLogs;
    // WHEN it is parsed
    const parsed = parsePlatform(input, 'test.json');
    // THEN the flow logs keep all traffic for one year
    expect(parsed.network.flowLogs).toEqual({ retentionDays: 365, trafficType: 'ALL' });
  });

  it('a flow log retention left out defaults to 365 days, keeping the given traffic type', () => {
    // GIVEN flow logs that only name a traffic type
    const input = sample();
    input.network.flowLogs = { trafficType: 'REJECT' };
    // WHEN it is parsed
    const parsed = parsePlatform(input, 'test.json');
    // THEN the retention is the default and the traffic type is kept
    expect(parsed.network.flowLogs).toEqual({ retentionDays: 365, trafficType: 'REJECT' });
  });

  it('a flow log traffic type left out defaults to ALL', () => {
    // GIVEN flow logs that only name a retention
    const input = sample();
    input.network.flowLogs = { retentionDays: 90 };
    // WHEN it is parsed
    // THEN the traffic type is the default
    expect(parsePlatform(input, 'test.json').network.flowLogs).toEqual({ retentionDays: 90, trafficType: 'ALL' });
  });

  it('an Amazon side ASN left out defaults to 64512', () => {
    // GIVEN a VPN section without amazonSideAsn (and no BGP peer that would clash with the default)
    const input = sample();
    delete input.network.vpn.amazonSideAsn;
    // WHEN it is parsed
    // THEN the Amazon side uses 64512
    expect(parsePlatform(input, 'test.json').network.vpn.amazonSideAsn).toBe(64512);
  });

  it('a project name that is given is kept', () => {
    // GIVEN a configuration naming its project
    const input = sample();
    input.project = 'shop';
    // WHEN it is parsed
    // THEN the given name wins over the default
    expect(parsePlatform(input, 'test.json').project).toBe('shop');
  });
});

describe('CIDR blocks', () => {
  it('a VPC block with host bits is rejected with its path, naming the real block', () => {
    // GIVEN a VPC CIDR with host bits set
    const input = sample();
    input.network.vpcCidr = '10.0.0.1/16';
    // WHEN it is parsed
    // THEN the problem names network.vpcCidr and the block meant
    expect(problemsOf(input)).toEqual(['network.vpcCidr: 10.0.0.1/16 has host bits set (the block is 10.0.0.0/16)']);
  });

  it('a subnet block that is not CIDR text is rejected with its path', () => {
    // GIVEN a public subnet whose block is not a CIDR
    const input = sample();
    input.network.publicSubnets[2] = { az: 'eu-west-3c', cidr: '10.0.3.0' };
    // WHEN it is parsed
    // THEN only that field is reported (the cross-field checks skip the unusable block)
    expect(problemsOf(input)).toEqual([
      'network.publicSubnets[2].cidr: 10.0.3.0 is not an IPv4 CIDR block (expected a.b.c.d/n)',
    ]);
  });

  it('a VPN static route with an octet above 255 is rejected with its path', () => {
    // GIVEN a static route to 192.168.300.0/24
    const input = sample();
    input.network.vpn.connections[0] = {
      name: 'Lan',
      publicIp: '203.0.113.10',
      routing: { type: 'static', cidrs: ['192.168.300.0/24'] },
    };
    // WHEN it is parsed
    // THEN the route's path is named
    expect(problemsOf(input)).toEqual([
      'network.vpn.connections[0].routing.cidrs[0]: 192.168.300.0/24 has an address octet outside 0-255',
    ]);
  });

  it('a gateway whitelist entry with a prefix above 32 is rejected with its path', () => {
    // GIVEN a whitelist entry /33
    const input = sample();
    input.gateway.whitelist[1] = '198.51.100.64/33';
    // WHEN it is parsed
    // THEN the entry's path is named
    expect(problemsOf(input)).toEqual(['gateway.whitelist[1]: 198.51.100.64/33 has a prefix length above 32']);
  });
});

describe('subnets', () => {
  it('a private subnet outside the VPC is rejected with its path', () => {
    // GIVEN the second private subnet moved to 10.1.101.0/24
    const input = sample();
    input.network.privateSubnets[1] = { az: 'eu-west-3b', cidr: '10.1.101.0/24' };
    // WHEN it is parsed
    // THEN exactly that problem is reported
    expect(problemsOf(input)).toEqual(['network.privateSubnets[1].cidr: 10.1.101.0/24 is outside the VPC 10.0.0.0/16']);
  });

  it('a public subnet larger than the VPC is rejected with its path', () => {
    // GIVEN a public subnet /8 that starts where the VPC does
    const input = sample();
    input.network.vpcCidr = '10.0.0.0/16';
    input.network.publicSubnets[0] = { az: 'eu-west-3a', cidr: '10.0.0.0/8' };
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN it is reported as outside the VPC
    expect(problems).toContain('network.publicSubnets[0].cidr: 10.0.0.0/8 is outside the VPC 10.0.0.0/16');
  });

  it('a subnet overlapping another is rejected with its path, naming the earlier subnet', () => {
    // GIVEN a private subnet that overlaps the first public subnet
    const input = sample();
    input.network.privateSubnets[1] = { az: 'eu-west-3b', cidr: '10.0.1.128/25' };
    // WHEN it is parsed
    // THEN the later subnet is reported, pointing at the earlier one
    expect(problemsOf(input)).toEqual([
      'network.privateSubnets[1].cidr: 10.0.1.128/25 overlaps 10.0.1.0/24 (network.publicSubnets[0])',
    ]);
  });

  it('two subnets of the same role with the same block are rejected', () => {
    // GIVEN two private subnets with the same block
    const input = sample();
    input.network.privateSubnets[2] = { az: 'eu-west-3c', cidr: '10.0.101.0/24' };
    // WHEN it is parsed
    // THEN the second is reported
    expect(problemsOf(input)).toEqual([
      'network.privateSubnets[2].cidr: 10.0.101.0/24 overlaps 10.0.101.0/24 (network.privateSubnets[0])',
    ]);
  });

  it('adjacent subnets are accepted', () => {
    // GIVEN subnets that touch but do not overlap
    const input = sample();
    input.network.publicSubnets[0] = { az: 'eu-west-3a', cidr: '10.0.0.0/24' };
    input.network.publicSubnets[1] = { az: 'eu-west-3b', cidr: '10.0.1.0/24' };
    // WHEN it is parsed
    // THEN there is no problem
    expect(() => parsePlatform(input, 'test.json')).not.toThrow();
  });

  it('a second private subnet in the same AZ is rejected with its path', () => {
    // GIVEN the second private subnet placed in eu-west-3a, which already has one
    const input = sample();
    input.network.privateSubnets[1] = { az: 'eu-west-3a', cidr: '10.0.102.0/24' };
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN the duplicate is reported at its az
    expect(problems).toContain(
      'network.privateSubnets[1].az: eu-west-3a already has a private subnet (network.privateSubnets[0]); the document has one public and one private subnet per AZ',
    );
  });

  it('a second public subnet in the same AZ is rejected with its path', () => {
    // GIVEN the third public subnet placed in eu-west-3b, which already has one
    const input = sample();
    input.network.publicSubnets[2] = { az: 'eu-west-3b', cidr: '10.0.3.0/24' };
    // WHEN it is parsed
    // THEN the duplicate is reported at its az
    expect(problemsOf(input)).toContain(
      'network.publicSubnets[2].az: eu-west-3b already has a public subnet (network.publicSubnets[1]); the document has one public and one private subnet per AZ',
    );
  });

  it('an AZ with a public but no private subnet is rejected with its path', () => {
    // GIVEN the sample without the private subnet of eu-west-3c
    const input = sample();
    input.network.privateSubnets.pop();
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN the lonely public subnet is reported, and the AZ missing a private subnet
    expect(problems).toContain('network.publicSubnets[2].az: eu-west-3c has a public subnet but no private subnet');
    expect(problems).toContain('network.privateSubnets: eu-west-3c (aws.availabilityZones) has no private subnet');
  });

  it('an AZ with a private but no public subnet is rejected with its path', () => {
    // GIVEN the sample without the public subnet of eu-west-3a
    const input = sample();
    input.network.publicSubnets.shift();
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN the private subnet without a NAT gateway is reported
    expect(problems).toContain(
      'network.privateSubnets[0].az: eu-west-3a has a private subnet but no public subnet (its NAT gateway lives there)',
    );
  });

  it('a subnet in an AZ not listed in aws.availabilityZones is rejected with its path', () => {
    // GIVEN a platform spanning two AZs whose subnets still use three
    const input = sample();
    input.aws.availabilityZones = ['eu-west-3a', 'eu-west-3b'];
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN both subnets in eu-west-3c are reported
    expect(problems).toContain(
      'network.publicSubnets[2].az: eu-west-3c is not one of aws.availabilityZones (eu-west-3a, eu-west-3b)',
    );
    expect(problems).toContain(
      'network.privateSubnets[2].az: eu-west-3c is not one of aws.availabilityZones (eu-west-3a, eu-west-3b)',
    );
  });

  it('an empty subnet list is rejected with its path', () => {
    // GIVEN no private subnets
    const input = sample();
    input.network.privateSubnets = [];
    // WHEN it is parsed
    // THEN the list is reported
    expect(problemsOf(input).some((p) => p.startsWith('network.privateSubnets: '))).toBe(true);
  });
});

describe('availability zones', () => {
  it('an AZ listed twice in aws.availabilityZones is rejected with its path', () => {
    // GIVEN eu-west-3a listed at index 0 and 1
    const input = sample();
    input.aws.availabilityZones = ['eu-west-3a', 'eu-west-3a', 'eu-west-3c'];
    // WHEN it is parsed
    // THEN the second listing is reported, pointing at the first
    expect(problemsOf(input)).toContain(
      'aws.availabilityZones[1]: eu-west-3a is listed twice (aws.availabilityZones[0])',
    );
  });

  it('an AZ of another region is rejected with its path', () => {
    // GIVEN eu-west-1c in a eu-west-3 platform
    const input = sample();
    input.aws.availabilityZones[2] = 'eu-west-1c';
    // WHEN it is parsed
    // THEN it is reported at its index
    expect(problemsOf(input)).toContain(
      'aws.availabilityZones[2]: eu-west-1c is not an availability zone of eu-west-3',
    );
  });

  it('an AZ name that merely starts with the region is rejected', () => {
    // GIVEN eu-west-3 followed by two letters
    const input = sample();
    input.aws.availabilityZones[2] = 'eu-west-3cc';
    // WHEN it is parsed
    // THEN it is not taken for an AZ of eu-west-3
    expect(problemsOf(input)).toContain(
      'aws.availabilityZones[2]: eu-west-3cc is not an availability zone of eu-west-3',
    );
  });

  it('fewer than two AZs are rejected with their path', () => {
    // GIVEN a single AZ
    const input = sample();
    input.aws.availabilityZones = ['eu-west-3a'];
    // WHEN it is parsed
    // THEN the list is reported
    expect(problemsOf(input).some((p) => p.startsWith('aws.availabilityZones: '))).toBe(true);
  });

  it('a region that is not an AWS region name is rejected with its path', () => {
    // GIVEN a region written with upper case
    const input = sample();
    input.aws.region = 'EU-WEST-3';
    // WHEN it is parsed
    // THEN the region is reported
    expect(problemsOf(input)).toContain('aws.region: EU-WEST-3 is not an AWS region name such as eu-west-3');
  });
});

describe('scalar fields', () => {
  it('a bad email is rejected with its path', () => {
    // GIVEN a second alert address without a domain
    const input = sample();
    input.alerting.emails.push('not-an-email');
    // WHEN it is parsed
    // THEN it is reported at its index
    expect(problemsOf(input)).toEqual(['alerting.emails[1]: not-an-email is not a valid email address']);
  });

  it('an account id that is not 12 digits is rejected with its path', () => {
    // GIVEN an 11-digit account
    const input = sample();
    input.aws.account = '12345678901';
    // WHEN it is parsed
    // THEN the account is reported
    expect(problemsOf(input)).toEqual(['aws.account: 12345678901 is not a 12-digit AWS account id']);
  });

  it('an upper-case domain is rejected with its path', () => {
    // GIVEN a public domain in capitals
    const input = sample();
    input.domains.public = 'Client.URL';
    // WHEN it is parsed
    // THEN the domain is reported
    expect(problemsOf(input)).toEqual(['domains.public: Client.URL is not a lower-case DNS name such as client.url']);
  });

  it('an internal domain equal to the public one is rejected with its path', () => {
    // GIVEN the same name for both zones
    const input = sample();
    input.domains.internal = 'client.url';
    // WHEN it is parsed
    // THEN the internal domain is reported
    expect(problemsOf(input)).toEqual([
      'domains.internal: client.url is also the public domain; the internal zone must not shadow it',
    ]);
  });

  it('a flow log retention CloudWatch does not offer is rejected with its path', () => {
    // GIVEN a retention of 366 days
    const input = sample();
    input.network.flowLogs = { retentionDays: 366 };
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN the retention is reported
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^network\.flowLogs\.retentionDays: 366 is not a CloudWatch Logs retention period/);
  });

  it('an instance count of zero is rejected with its path', () => {
    // GIVEN a preprod front end with no instances
    const input = sample();
    nth(input.environments, 1).magento.frontend.instances = 0;
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN the count is reported
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^environments\[1\]\.magento\.frontend\.instances: /);
  });

  it('a value of the wrong type is rejected with its path', () => {
    // GIVEN an instance count written as text
    const input = sample();
    addKeys(nth(input.environments, 0).magento.frontend, { instances: 'four' });
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN the field is reported
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^environments\[0\]\.magento\.frontend\.instances: .*expected number/);
  });
});

describe('unknown keys', () => {
  it('an unknown key at the root is rejected with its name', () => {
    // GIVEN a misspelt project key
    const input = sample();
    addKeys(input, { projekt: 'shop' });
    // WHEN it is parsed
    // THEN the key is reported
    expect(problemsOf(input)).toEqual(['projekt: unknown key']);
  });

  it('an unknown nested key is rejected with its path', () => {
    // GIVEN a misspelt vpn key in the network section
    const input = sample();
    addKeys(input.network, { vpnn: {} });
    // WHEN it is parsed
    // THEN the key is reported with the path to it
    expect(problemsOf(input)).toEqual(['network.vpnn: unknown key']);
  });

  it('an unknown key inside an array element is rejected with its path', () => {
    // GIVEN an extra key on the first private subnet
    const input = sample();
    addKeys(nth(input.network.privateSubnets, 0), { name: 'a' });
    // WHEN it is parsed
    // THEN the key is reported with the index
    expect(problemsOf(input)).toEqual(['network.privateSubnets[0].name: unknown key']);
  });

  it('several unknown keys in one object are each reported', () => {
    // GIVEN two extra keys on the client
    const input = sample();
    addKeys(input.client, { id: 1, label: 'x' });
    // WHEN it is parsed
    // THEN each key is its own problem
    expect(problemsOf(input)).toEqual(['client.id: unknown key', 'client.label: unknown key']);
  });
});

describe('environments', () => {
  it('duplicate environment names are rejected with their path', () => {
    // GIVEN two environments called prod (the shares sized for both)
    const input = sample();
    nth(input.environments, 1).name = 'prod';
    for (const share of input.storage.shares) delete share.sizeGiB.preprod;
    // WHEN it is parsed
    // THEN the second is reported, pointing at the first
    expect(problemsOf(input)).toEqual(['environments[1].name: prod is already the name of environments[0]']);
  });

  it('no environment at all is rejected with its path', () => {
    // GIVEN an empty environment list
    const input = sample();
    input.environments = [];
    // WHEN it is parsed
    // THEN the list is reported
    expect(problemsOf(input).some((p) => p.startsWith('environments: '))).toBe(true);
  });
});

describe('VPN', () => {
  it('a static route overlapping the VPC is rejected with its path', () => {
    // GIVEN a peer routing 10.0.0.0/8, which contains the VPC
    const input = sample();
    input.network.vpn.connections[0] = {
      name: 'Lan',
      publicIp: '203.0.113.10',
      routing: { type: 'static', cidrs: ['10.0.0.0/8'] },
    };
    // WHEN it is parsed
    // THEN the route is reported
    expect(problemsOf(input)).toEqual([
      'network.vpn.connections[0].routing.cidrs[0]: 10.0.0.0/8 overlaps the VPC 10.0.0.0/16; a VPN route must lead outside it',
    ]);
  });

  it('two peers with overlapping static routes are rejected at the later route', () => {
    // GIVEN Ml routing part of what Lan already routes
    const input = sample();
    input.network.vpn.connections[1] = {
      name: 'Ml',
      publicIp: '198.51.100.20',
      routing: { type: 'static', cidrs: ['192.168.20.0/24', '192.168.10.128/25'] },
    };
    // WHEN it is parsed
    // THEN the later route is reported, naming the peer that routes it already
    expect(problemsOf(input)).toEqual([
      'network.vpn.connections[1].routing.cidrs[1]: 192.168.10.128/25 overlaps 192.168.10.0/24, already routed to Lan',
    ]);
  });

  it('duplicate peer names are rejected with their path, ignoring case', () => {
    // GIVEN a second peer called lan (Ml, renamed, no longer alarmed)
    const input = sample();
    nth(input.network.vpn.connections, 1).name = 'lan';
    input.alerting.vpnAlarms.peers = ['Lan', 'Cetsi'];
    // WHEN it is parsed
    // THEN the second is reported, pointing at the first
    expect(problemsOf(input)).toEqual([
      'network.vpn.connections[1].name: lan is already the name of network.vpn.connections[0]',
    ]);
  });

  it('two peers with the same public address are rejected with their path', () => {
    // GIVEN Ml at Lan's address
    const input = sample();
    nth(input.network.vpn.connections, 1).publicIp = '203.0.113.10';
    // WHEN it is parsed
    // THEN the second is reported, naming the first
    expect(problemsOf(input)).toEqual([
      'network.vpn.connections[1].publicIp: 203.0.113.10 is already the address of network.vpn.connections[0] (Lan)',
    ]);
  });

  it('a private address as a VPN peer address is rejected with its path', () => {
    // GIVEN a peer at 192.168.1.1
    const input = sample();
    nth(input.network.vpn.connections, 0).publicIp = '192.168.1.1';
    // WHEN it is parsed
    // THEN the address is reported
    expect(problemsOf(input)).toEqual([
      'network.vpn.connections[0].publicIp: 192.168.1.1 is a private (RFC 1918) address; a VPN peer needs its public address',
    ]);
  });

  it('a peer address that is not an IPv4 address is rejected with its path', () => {
    // GIVEN a peer given by host name
    const input = sample();
    nth(input.network.vpn.connections, 2).publicIp = 'vpn.client.url';
    // WHEN it is parsed
    // THEN the address is reported
    expect(problemsOf(input)).toEqual(['network.vpn.connections[2].publicIp: vpn.client.url is not an IPv4 address']);
  });

  it('a BGP ASN equal to the Amazon side ASN is rejected with its path', () => {
    // GIVEN Cetsi's BGP ASN set to the virtual private gateway's
    const input = sample();
    input.network.vpn.connections[2] = { name: 'Cetsi', publicIp: '192.0.2.30', routing: { type: 'bgp', asn: 64512 } };
    // WHEN it is parsed
    // THEN the peer's ASN is reported
    expect(problemsOf(input)).toEqual([
      "network.vpn.connections[2].routing.asn: 64512 is the Amazon side's ASN (network.vpn.amazonSideAsn); the peer needs its own",
    ]);
  });

  it('a BGP ASN equal to the defaulted Amazon side ASN is rejected too', () => {
    // GIVEN no amazonSideAsn (so 64512) and a peer using 64512
    const input = sample();
    delete input.network.vpn.amazonSideAsn;
    input.network.vpn.connections[2] = { name: 'Cetsi', publicIp: '192.0.2.30', routing: { type: 'bgp', asn: 64512 } };
    // WHEN it is parsed
    // THEN the clash is found against the default
    expect(problemsOf(input)).toEqual([
      "network.vpn.connections[2].routing.asn: 64512 is the Amazon side's ASN (network.vpn.amazonSideAsn); the peer needs its own",
    ]);
  });

  it('a public ASN on the Amazon side is rejected with its path', () => {
    // GIVEN amazonSideAsn 7224 (a public ASN)
    const input = sample();
    input.network.vpn.amazonSideAsn = 7224;
    // WHEN it is parsed
    // THEN it is reported
    expect(problemsOf(input)).toEqual([
      'network.vpn.amazonSideAsn: 7224 is not a private ASN (64512-65534 or 4200000000-4294967294)',
    ]);
  });

  it('an unknown routing type is rejected with its path', () => {
    // GIVEN routing by OSPF
    const input = sample();
    addKeys(nth(input.network.vpn.connections, 0), { routing: { type: 'ospf' } });
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN the discriminator is reported
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^network\.vpn\.connections\[0\]\.routing\.type: /);
  });

  it('a static route list that is empty is rejected with its path', () => {
    // GIVEN a static peer with no routes
    const input = sample();
    input.network.vpn.connections[0] = {
      name: 'Lan',
      publicIp: '203.0.113.10',
      routing: { type: 'static', cidrs: [] },
    };
    // WHEN it is parsed
    // THEN the list is reported
    expect(problemsOf(input).some((p) => p.startsWith('network.vpn.connections[0].routing.cidrs: '))).toBe(true);
  });
});

describe('gateway', () => {
  it('a whitelist of 0.0.0.0/0 is rejected with its path', () => {
    // GIVEN the whole internet whitelisted
    const input = sample();
    input.gateway.whitelist = ['0.0.0.0/0'];
    // WHEN it is parsed
    // THEN the entry is reported
    expect(problemsOf(input)).toEqual([
      "gateway.whitelist[0]: 0.0.0.0/0 would open the gateway to the whole internet; list the client's addresses",
    ]);
  });

  it('an empty whitelist is rejected with its path', () => {
    // GIVEN no whitelisted address
    const input = sample();
    input.gateway.whitelist = [];
    // WHEN it is parsed
    // THEN the list is reported
    expect(problemsOf(input).some((p) => p.startsWith('gateway.whitelist: '))).toBe(true);
  });
});

describe('missing fields', () => {
  it('a missing required field is reported as required at its path', () => {
    // GIVEN no AWS account
    const input = sample();
    delete (input.aws as { account?: string }).account;
    // WHEN it is parsed
    // THEN the field is reported as required
    expect(problemsOf(input)).toEqual(['aws.account: is required']);
  });

  it('a missing required section is reported as required at its path', () => {
    // GIVEN no network section
    const input = sample();
    delete (input as { network?: unknown }).network;
    // WHEN it is parsed
    // THEN the section is reported as required
    expect(problemsOf(input)).toContain('network: is required');
  });

  it('a missing field inside an array element is reported with its index', () => {
    // GIVEN a peer without an address
    const input = sample();
    delete (input.network.vpn.connections[1] as { publicIp?: string }).publicIp;
    // WHEN it is parsed
    // THEN the field is reported with the element's index
    expect(problemsOf(input)).toEqual(['network.vpn.connections[1].publicIp: is required']);
  });

  it('an input that is not an object is rejected at the root', () => {
    // GIVEN null and an array instead of a configuration
    // WHEN each is parsed
    // THEN the root is reported
    for (const input of [null, [], 'platform']) {
      const problems = problemsOf(input);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^\(root\): /);
    }
  });
});

describe('several problems at once', () => {
  it('a bad email, a subnet outside the VPC and an unknown root key are all listed', () => {
    // GIVEN three unrelated mistakes
    const input = sample();
    input.alerting.emails[0] = 'not-an-email';
    input.network.privateSubnets[1] = { az: 'eu-west-3b', cidr: '10.1.101.0/24' };
    addKeys(input, { projekt: 'shop' });
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN all three are reported, and nothing else
    expect([...problems].sort()).toEqual(
      [
        'alerting.emails[0]: not-an-email is not a valid email address',
        'network.privateSubnets[1].cidr: 10.1.101.0/24 is outside the VPC 10.0.0.0/16',
        'projekt: unknown key',
      ].sort(),
    );
  });

  it('an unknown key in the network section does not hide the network cross-field checks', () => {
    // GIVEN a misspelt key next to a subnet outside the VPC, plus a bad email
    const input = sample();
    addKeys(input.network, { vpnn: {} });
    input.network.privateSubnets[1] = { az: 'eu-west-3b', cidr: '10.1.101.0/24' };
    input.alerting.emails[0] = 'not-an-email';
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN all three are reported
    expect([...problems].sort()).toEqual(
      [
        'alerting.emails[0]: not-an-email is not a valid email address',
        'network.privateSubnets[1].cidr: 10.1.101.0/24 is outside the VPC 10.0.0.0/16',
        'network.vpnn: unknown key',
      ].sort(),
    );
  });

  it('a field error does not hide the platform-wide cross-field checks', () => {
    // GIVEN a bad email (a field error) and a duplicated AZ (a cross-field rule at the root)
    const input = sample();
    input.alerting.emails[0] = 'not-an-email';
    input.aws.availabilityZones = ['eu-west-3a', 'eu-west-3a', 'eu-west-3c'];
    // WHEN it is parsed
    const problems = problemsOf(input);
    // THEN both are reported
    expect(problems).toContain('alerting.emails[0]: not-an-email is not a valid email address');
    expect(problems).toContain('aws.availabilityZones[1]: eu-west-3a is listed twice (aws.availabilityZones[0])');
  });

  it('the error message lists every problem under the source', () => {
    // GIVEN two mistakes
    const input = sample();
    input.alerting.emails[0] = 'not-an-email';
    nth(input.environments, 1).name = 'prod';
    for (const share of input.storage.shares) delete share.sizeGiB.preprod;
    // WHEN it is parsed
    let error: unknown;
    try {
      parsePlatform(input, 'my.json');
    } catch (caught) {
      error = caught;
    }
    // THEN the ConfigError names the source and each problem on its own line
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.source).toBe('my.json');
    expect(configError.name).toBe('ConfigError');
    expect(configError.message.split('\n')[0]).toBe('my.json: invalid configuration');
    for (const problem of configError.problems) {
      expect(configError.message).toContain(`\n  - ${problem}`);
    }
    expect(configError.problems).toHaveLength(2);
  });
});

describe('inputs that once slipped through', () => {
  // Refinements run even after a field failed its own format check: the AZ check must not
  // treat the region as a pattern.
  it('a region containing a regex metacharacter is reported, not thrown', () => {
    // GIVEN a region with an unbalanced parenthesis
    const input = sample();
    input.aws.region = 'eu-west-3(';
    // WHEN it is parsed
    // THEN the region is reported like any bad region
    expect(problemsOf(input)).toContain('aws.region: eu-west-3( is not an AWS region name such as eu-west-3');
  });

  // The whole internet written with a leading-zero prefix.
  it('a whitelist of 0.0.0.0/00 is rejected like 0.0.0.0/0', () => {
    // GIVEN the whole internet whitelisted, with the prefix written /00
    const input = sample();
    input.gateway.whitelist = ['0.0.0.0/00'];
    // WHEN it is parsed
    // THEN it is rejected at its path
    expect(problemsOf(input).some((p) => p.startsWith('gateway.whitelist[0]: 0.0.0.0/00 '))).toBe(true);
  });

  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['100.64.0.1', 'a carrier-grade NAT (RFC 6598) address'],
    ['224.0.0.5', 'a multicast address'],
    ['169.254.1.1', 'a link-local address'],
  ])('a VPN peer at %s (%s) is rejected: a customer gateway needs a public address', (ip, what) => {
    const input = sample();
    input.network.vpn.connections[0] = { name: 'Lan', publicIp: ip, routing: { type: 'bgp', asn: 65020 } };
    expect(problemsOf(input)).toContain(
      `network.vpn.connections[0].publicIp: ${ip} is ${what}; a VPN peer needs its public address`,
    );
  });
});
