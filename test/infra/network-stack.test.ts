import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/config/schema.ts';
import { createPlatformApp } from '../../src/infra/app.ts';
import type { NetworkStack } from '../../src/infra/stacks/network-stack.ts';
import { platformWith, samplePlatform } from '../support.ts';
import { nameOf, ofType, type Resources, resourcesOf, target, typesOf } from './template.ts';

function synthNetwork(platform: Platform): { stack: NetworkStack; template: Template; resources: Resources } {
  // Gates off: this file is about the template; test/infra/gates.test.ts runs them.
  const { stacks } = createPlatformApp({ platform, gates: false });
  const template = Template.fromStack(stacks.network);
  return { stack: stacks.network, template, resources: resourcesOf(template) };
}

describe('Network stack', () => {
  let stack: NetworkStack;
  let template: Template;
  let resources: Resources;

  beforeAll(() => {
    ({ stack, template, resources } = synthNetwork(samplePlatform()));
  });

  it('has the VPC with the configured CIDR block', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
  });

  it('has exactly the configured subnets, each in its AZ, none assigning public addresses', () => {
    const subnets = ofType(resources, 'AWS::EC2::Subnet').map(([, subnet]) => ({
      az: subnet.Properties.AvailabilityZone,
      cidr: subnet.Properties.CidrBlock,
      mapsPublicIp: subnet.Properties.MapPublicIpOnLaunch,
    }));
    expect(subnets).toEqual([
      { az: 'eu-west-3a', cidr: '10.0.1.0/24', mapsPublicIp: false },
      { az: 'eu-west-3b', cidr: '10.0.2.0/24', mapsPublicIp: false },
      { az: 'eu-west-3c', cidr: '10.0.3.0/24', mapsPublicIp: false },
      { az: 'eu-west-3a', cidr: '10.0.101.0/24', mapsPublicIp: false },
      { az: 'eu-west-3b', cidr: '10.0.102.0/24', mapsPublicIp: false },
      { az: 'eu-west-3c', cidr: '10.0.103.0/24', mapsPublicIp: false },
    ]);
  });

  it('takes the subnet blocks from the configuration, not from a sequential allocation', () => {
    const { resources: other } = synthNetwork(
      platformWith((input) => {
        input.network.vpcCidr = '172.20.0.0/16';
        input.network.publicSubnets = input.aws.availabilityZones.map((az, i) => ({
          az,
          cidr: `172.20.${10 + i}.0/24`,
        }));
        input.network.privateSubnets = input.aws.availabilityZones.map((az, i) => ({
          az,
          cidr: `172.20.${200 + i}.0/24`,
        }));
      }),
    );
    expect(ofType(other, 'AWS::EC2::Subnet').map(([, subnet]) => subnet.Properties.CidrBlock)).toEqual([
      '172.20.10.0/24',
      '172.20.11.0/24',
      '172.20.12.0/24',
      '172.20.200.0/24',
      '172.20.201.0/24',
      '172.20.202.0/24',
    ]);
  });

  it('routes the public subnets to the internet gateway', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 1);
    const publicSubnetIds = stack.network.subnets('public').map((subnet) => stack.resolve(subnet.subnetId).Ref);
    for (const subnetId of publicSubnetIds) {
      const [, association] = ofType(resources, 'AWS::EC2::SubnetRouteTableAssociation').find(
        ([, candidate]) => target(candidate.Properties.SubnetId) === subnetId,
      ) ?? ['', undefined];
      const routeTable = target(association?.Properties.RouteTableId);
      template.hasResourceProperties('AWS::EC2::Route', {
        RouteTableId: { Ref: routeTable },
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: { Ref: Match.anyValue() },
      });
    }
  });

  it('has one NAT gateway per AZ, and each private subnet leaves through the NAT of its own AZ', () => {
    const nats = ofType(resources, 'AWS::EC2::NatGateway');
    expect(nats).toHaveLength(3);
    const azOfSubnet = new Map(
      ofType(resources, 'AWS::EC2::Subnet').map(([id, subnet]) => [id, subnet.Properties.AvailabilityZone]),
    );
    const natAz = new Map(nats.map(([id, nat]) => [id, azOfSubnet.get(target(nat.Properties.SubnetId))]));
    expect(new Set(natAz.values())).toEqual(new Set(['eu-west-3a', 'eu-west-3b', 'eu-west-3c']));

    for (const subnet of stack.network.subnets('private')) {
      const subnetId = stack.resolve(subnet.subnetId).Ref;
      const routeTableId = stack.resolve(subnet.routeTable.routeTableId).Ref;
      const [, route] = ofType(resources, 'AWS::EC2::Route').find(
        ([, candidate]) =>
          target(candidate.Properties.RouteTableId) === routeTableId &&
          candidate.Properties.DestinationCidrBlock === '0.0.0.0/0',
      ) ?? ['', undefined];
      expect(route, `default route of ${subnetId}`).toBeDefined();
      expect(natAz.get(target(route?.Properties.NatGatewayId))).toBe(azOfSubnet.get(subnetId));
    }
  });

  it('connects the three configured VPN peers, with static routes or BGP as configured', () => {
    template.resourceCountIs('AWS::EC2::VPNGateway', 1);
    template.hasResourceProperties('AWS::EC2::VPNGateway', { AmazonSideAsn: 64512, Type: 'ipsec.1' });
    template.resourceCountIs('AWS::EC2::VPNConnection', 3);
    template.resourceCountIs('AWS::EC2::CustomerGateway', 3);

    const gateways = new Map(
      ofType(resources, 'AWS::EC2::CustomerGateway').map(([id, gateway]) => [id, gateway.Properties]),
    );
    const connections = ofType(resources, 'AWS::EC2::VPNConnection').map(([id, connection]) => {
      const gateway = gateways.get(target(connection.Properties.CustomerGatewayId));
      const routes = ofType(resources, 'AWS::EC2::VPNConnectionRoute')
        .filter(([, route]) => target(route.Properties.VpnConnectionId) === id)
        .map(([, route]) => route.Properties.DestinationCidrBlock);
      return {
        name: nameOf(connection),
        ip: gateway?.IpAddress,
        asn: gateway?.BgpAsn,
        staticOnly: connection.Properties.StaticRoutesOnly,
        routes,
      };
    });
    expect(connections).toEqual([
      { name: 'client-Lan', ip: '203.0.113.10', asn: 65000, staticOnly: true, routes: ['192.168.10.0/24'] },
      { name: 'client-Ml', ip: '198.51.100.20', asn: 65000, staticOnly: true, routes: ['192.168.20.0/24'] },
      { name: 'client-Cetsi', ip: '192.0.2.30', asn: 65010, staticOnly: false, routes: [] },
    ]);
  });

  it('propagates the VPN routes into every private route table and no public one', () => {
    const privateTables = stack.network
      .subnets('private')
      .map((subnet) => stack.resolve(subnet.routeTable.routeTableId));
    template.resourceCountIs('AWS::EC2::VPNGatewayRoutePropagation', 1);
    template.hasResourceProperties('AWS::EC2::VPNGatewayRoutePropagation', {
      RouteTableIds: privateTables,
    });
  });

  it('logs all VPC traffic into a KMS-encrypted group kept for the configured retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it("lets CloudWatch Logs of the region (not the global principal, which fails) use the flow logs' key", () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.eu-west-3.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('"logs.amazonaws.com"');
  });

  it('writes flow logs through a managed policy, never an inline one', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'] }),
        ],
      },
    });
  });

  it('closes the default security group', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  it('has the private hosted zone of the internal domain, attached to the VPC', () => {
    template.hasResourceProperties('AWS::Route53::HostedZone', {
      Name: 'internal-client.url.',
      VPCs: [{ VPCId: { Ref: Match.stringLikeRegexp('^NetworkVpc') }, VPCRegion: 'eu-west-3' }],
    });
  });

  it('places non-HA instances on the first subnet of each role, as the document says', () => {
    const cidrOf = (selection: { subnets?: { subnetId: string }[] }) => {
      const [subnet] = selection.subnets ?? [];
      return resources[stack.resolve(subnet?.subnetId).Ref]?.Properties.CidrBlock;
    };
    expect(cidrOf(stack.network.nonHaPlacement('public'))).toBe('10.0.1.0/24');
    expect(cidrOf(stack.network.nonHaPlacement('private'))).toBe('10.0.101.0/24');
  });

  it('follows the configured order of subnets for the non-HA placement', () => {
    const { stack: other, resources: otherResources } = synthNetwork(
      platformWith((input) => {
        input.network.privateSubnets.reverse();
      }),
    );
    const [subnet] = other.network.nonHaPlacement('private').subnets ?? [];
    expect(otherResources[other.resolve(subnet?.subnetId).Ref]?.Properties.CidrBlock).toBe('10.0.103.0/24');
  });

  it('is a stateful stack: named after the project, termination protected, tagged', () => {
    expect(stack.stackName).toBe('storestack-Network');
    expect(stack.terminationProtection).toBe(true);
    expect(stack.tags.tagValues()).toEqual({ project: 'storestack', environment: 'shared' });
    expect(Stack.of(stack).region).toBe('eu-west-3');
    expect(Stack.of(stack).account).toBe('123456789012');
  });

  it('keeps the logical IDs of its stateful resources (changing one replaces the resource)', () => {
    const pinned: Record<string, string> = {
      NetworkVpc7FB7348F: 'AWS::EC2::VPC',
      NetworkVpcPublicSubnet1Subnet36933139: 'AWS::EC2::Subnet',
      NetworkVpcPublicSubnet2SubnetC427CCE0: 'AWS::EC2::Subnet',
      NetworkVpcPublicSubnet3Subnet4BBF7F47: 'AWS::EC2::Subnet',
      NetworkVpcPrivateSubnet1Subnet6DD86AE6: 'AWS::EC2::Subnet',
      NetworkVpcPrivateSubnet2Subnet1BDBE877: 'AWS::EC2::Subnet',
      NetworkVpcPrivateSubnet3Subnet8ABFAF5C: 'AWS::EC2::Subnet',
      NetworkVpcVpnGatewayB2A4018F: 'AWS::EC2::VPNGateway',
      SiteToSiteVpnsLanCustomerGateway9D4C51CA: 'AWS::EC2::CustomerGateway',
      SiteToSiteVpnsLanB55098AD: 'AWS::EC2::VPNConnection',
      SiteToSiteVpnsMlCustomerGatewayED51C580: 'AWS::EC2::CustomerGateway',
      SiteToSiteVpnsMl37B69184: 'AWS::EC2::VPNConnection',
      SiteToSiteVpnsCetsiCustomerGateway9D2EF0F1: 'AWS::EC2::CustomerGateway',
      SiteToSiteVpnsCetsiCFF3C2BD: 'AWS::EC2::VPNConnection',
      InternalZoneD0BA15A8: 'AWS::Route53::HostedZone',
      NetworkFlowLogGroup4F8CEEEF: 'AWS::Logs::LogGroup',
      NetworkFlowLogKeyF785E5F9: 'AWS::KMS::Key',
    };
    expect(typesOf(resources, Object.keys(pinned))).toEqual(pinned);
  });

  it('retains the flow logs and their key when the stack is deleted', () => {
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});
