// The satellite applications, the Windows instance and the HAProxy gateways (issue 5's "Done
// when"): each application's environment and its database access and nothing more, HTTPS only,
// the Windows instance with its two volumes, the gateways' groups, Elastic IPs and internal names,
// and no replacement of the hand-installed or address-holding instances on a routine deploy.
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Platform, PlatformInput } from '../../src/config/schema.ts';
import { createPlatformApp, readProjectContext } from '../../src/infra/app.ts';
import { WindowsHost } from '../../src/infra/apps/windows-host.ts';
import type { PlatformStacks } from '../../src/infra/platform.ts';
import { PROJECT_ROOT, platformWith, samplePlatform } from '../support.ts';
import {
  newStack,
  ofType,
  only,
  type Properties,
  type Resource,
  type Resources,
  resourcesOf,
  target,
} from './template.ts';

type Option = { Namespace: string; OptionName: string; Value: unknown };

function synth(platform: Platform): PlatformStacks {
  // The project's feature flags, as `cdk deploy` passes them; gates off (test/infra/gates.test.ts).
  return createPlatformApp({ platform, gates: false, context: readProjectContext(PROJECT_ROOT) }).stacks;
}

function option(environment: Resource, namespace: string, name: string): unknown {
  return (environment.Properties.OptionSettings as Option[]).find(
    (candidate) => candidate.Namespace === namespace && candidate.OptionName === name,
  )?.Value;
}

const APPS = ['pim', 'connector', 'mirakl'] as const;

/** The gateways' resources of `type` (the Ops stack also holds OpenVPN, Rundeck, ...): named gateway-*. */
function gatewaysOf(resources: Resources, type: string): [string, Resource][] {
  return ofType(resources, type).filter(([, resource]) =>
    ((resource.Properties.Tags ?? []) as { Key: string; Value: string }[]).some(
      (tag) => tag.Key === 'Name' && tag.Value.startsWith('gateway-'),
    ),
  );
}

describe('Apps, AppsData and Ops stacks (sample configuration)', () => {
  let stacks: PlatformStacks;
  let apps: Resources;
  let appsData: Resources;
  let ops: Resources;
  let network: Resources;
  beforeAll(() => {
    stacks = synth(samplePlatform());
    apps = resourcesOf(Template.fromStack(stacks.apps));
    appsData = resourcesOf(Template.fromStack(stacks.appsData));
    ops = resourcesOf(Template.fromStack(stacks.ops));
    network = resourcesOf(Template.fromStack(stacks.network));
  });
  const environmentOf = (app: string): Resource => {
    const found = ofType(apps, 'AWS::ElasticBeanstalk::Environment').find(
      ([, resource]) => resource.Properties.EnvironmentName === `client-${app}`,
    );
    if (!found) throw new Error(`no environment client-${app}`);
    return found[1];
  };
  /** The statements of the custom policy of `app`'s instance role. */
  const statementsOf = (app: string): Properties[] => {
    const environment = environmentOf(app);
    const profileId = target(option(environment, 'aws:autoscaling:launchconfiguration', 'IamInstanceProfile'));
    const roleId = target((apps[profileId]?.Properties.Roles as unknown[] | undefined)?.[0]);
    const arns = apps[roleId]?.Properties.ManagedPolicyArns as unknown[];
    const policies = arns.filter((arn) => apps[target(arn)]?.Type === 'AWS::IAM::ManagedPolicy');
    expect(policies).toHaveLength(1);
    return apps[target(policies[0])]?.Properties.PolicyDocument.Statement as Properties[];
  };
  const actionsOf = (statement: Properties): string[] => [statement.Action].flat();

  describe.each(APPS)('%s', (app) => {
    it('is one instance on Beanstalk behind the shared ALB, routed by its host name, on its pinned platform', () => {
      const environment = environmentOf(app);
      const config = samplePlatform().apps[app];
      expect(environment.Properties.SolutionStackName).toBe(config.solutionStackName);
      expect(option(environment, 'aws:autoscaling:asg', 'MinSize')).toBe('1');
      expect(option(environment, 'aws:autoscaling:asg', 'MaxSize')).toBe('1');
      expect(option(environment, 'aws:ec2:instances', 'InstanceTypes')).toBe(config.instanceType);
      expect(option(environment, 'aws:elasticbeanstalk:environment', 'LoadBalancerIsShared')).toBe('true');
      expect(option(environment, 'aws:elbv2:listener:443', 'Rules')).toBe('default,app');
      expect(option(environment, 'aws:elbv2:listenerrule:app', 'HostHeaders')).toBe(config.hostName);
      expect(option(environment, 'aws:autoscaling:launchconfiguration', 'DisableIMDSv1')).toBe('true');
      expect(option(environment, 'aws:ec2:vpc', 'AssociatePublicIpAddress')).toBe('false');
    });

    it('reads the shared database and its own secrets, and no other application’s', () => {
      const statements = statementsOf(app);
      const secrets = statements
        .filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'))
        .flatMap((statement) => [statement.Resource].flat());
      const own = { pim: [], connector: ['connector-ftp'], mirakl: ['mirakl-config'] }[app];
      expect(secrets.map((arn) => String(arn).replace(/.*:secret:storestack\/apps\//, '')).sort()).toEqual(
        ['database-??????', ...own.map((name) => `${name}-??????`)].sort(),
      );
      const text = JSON.stringify(statements);
      for (const other of APPS.filter((candidate) => candidate !== app)) {
        expect(text).not.toContain(`/storestack/apps/${other}`);
      }
      expect(text).not.toMatch(/storestack\/(prod|preprod)/);
    });

    it('is reached only from the ALB (and the connector from its FTP gateway on 21 and the passive range)', () => {
      const groupId = stacks.network.resolve(stacks.network.consumers.app(app).securityGroupId);
      const everyStack = [stacks.network, stacks.storage, stacks.appsData, stacks.ops, stacks.apps];
      const ingress = everyStack.flatMap((stack) =>
        ofType(resourcesOf(Template.fromStack(stack)), 'AWS::EC2::SecurityGroupIngress')
          .map(([, rule]) => rule.Properties)
          .filter(
            (rule) =>
              target(rule.GroupId) === target(groupId) || JSON.stringify(rule.GroupId).includes(`ConsumersApp${app}`),
          ),
      );
      const ports = ingress.map((rule) => `${rule.FromPort}-${rule.ToPort}`).sort();
      expect(ports).toEqual(app === 'connector' ? ['2048-4096', '21-21', '80-80'] : ['80-80']);
    });
  });

  it('serves the apps over HTTPS with the imported certificate and only redirects HTTP', () => {
    const listeners = ofType(apps, 'AWS::ElasticLoadBalancingV2::Listener').map(([, listener]) => listener.Properties);
    const https = listeners.find((listener) => listener.Port === 443);
    const http = listeners.find((listener) => listener.Port === 80);
    expect(https?.Protocol).toBe('HTTPS');
    expect(https?.Certificates).toEqual([{ CertificateArn: samplePlatform().certificate.arn }]);
    expect(http?.DefaultActions).toEqual([
      { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
    ]);
  });

  it('lets the connector register only its own internal name, by UPSERT of an A record', () => {
    const register = statementsOf('connector').find((statement) => statement.Sid === 'RegisterInternalName');
    expect(register?.Action).toBe('route53:ChangeResourceRecordSets');
    expect(register?.Condition['ForAllValues:StringEquals']).toEqual({
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['connector.internal-client.url'],
      'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
      'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
    });
    expect(statementsOf('pim').some((statement) => statement.Sid === 'RegisterInternalName')).toBe(false);
  });

  it('keeps the FTP password and the Mirakl keys in Secrets Manager, none of them in the template', () => {
    const secrets = ofType(appsData, 'AWS::SecretsManager::Secret').map(([, secret]) => secret);
    const mirakl = secrets.find((secret) => secret.Properties.Name === 'storestack/apps/mirakl-config');
    // Operators add the keys Mirakl and HiPay issue; only Symfony's APP_SECRET is generated.
    expect(JSON.parse(mirakl?.Properties.GenerateSecretString.SecretStringTemplate)).toEqual({});
    expect(mirakl?.Properties.GenerateSecretString.GenerateStringKey).toBe('APP_SECRET');
    expect(mirakl?.Properties.Description).toContain('MIRAKL_API_KEY');
    const ftp = secrets.find((secret) => secret.Properties.Name === 'storestack/apps/connector-ftp');
    expect(ftp?.Properties.GenerateSecretString.GenerateStringKey).toBe('password');
    for (const secret of [mirakl, ftp]) expect(secret?.DeletionPolicy).toBe('Retain');
  });

  describe('the Windows instance', () => {
    it('runs the pinned AMI in a private subnet, protected from termination, with its two retained volumes', () => {
      const [, instance] = only(apps, 'AWS::EC2::Instance');
      expect(instance.Properties.ImageId).toBe(samplePlatform().windows.amiId);
      expect(instance.Properties.DisableApiTermination).toBe(true);
      expect(JSON.stringify(instance.Properties.SubnetId)).toMatch(/PrivateSubnet1/);
      const volumes = ofType(appsData, 'AWS::EC2::Volume');
      expect(
        volumes.map(([, volume]) => [volume.Properties.Size, volume.Properties.Encrypted, volume.DeletionPolicy]),
      ).toEqual([
        [200, true, 'Retain'],
        [500, true, 'Retain'],
      ]);
      const attachments = ofType(apps, 'AWS::EC2::VolumeAttachment').map(([, attachment]) => attachment.Properties);
      expect(attachments.map((attachment) => attachment.Device)).toEqual(['xvdf', 'xvdg']);
    });

    it('admits its gateway on the forwarded ports and the VPN, nothing else', () => {
      const [groupId, group] = ofType(apps, 'AWS::EC2::SecurityGroup').find(([, candidate]) =>
        String(candidate.Properties.GroupDescription).startsWith('Windows'),
      ) as [string, Resource];
      expect(groupId).toBeDefined();
      const rules = (group.Properties.SecurityGroupIngress ?? []) as Properties[];
      const standalone = ofType(apps, 'AWS::EC2::SecurityGroupIngress')
        .map(([, rule]) => rule.Properties)
        .filter((rule) => target(rule.GroupId) === groupId);
      const all = [...rules, ...standalone];
      expect(all.every((rule) => rule.CidrIp !== '0.0.0.0/0')).toBe(true);
      const fromGateway = all.filter((rule) => rule.SourceSecurityGroupId !== undefined);
      expect(fromGateway.map((rule) => `${rule.FromPort}-${rule.ToPort}`).sort()).toEqual(
        ['21-21', '2048-3388', '3389-3389', '3390-4096', '445-445', '8700-8800'].sort(),
      );
      const fromVpn = all.filter((rule) => rule.CidrIp !== undefined);
      expect(new Set(fromVpn.map((rule) => rule.CidrIp))).toEqual(
        new Set(
          samplePlatform().network.vpn.connections.flatMap((peer) =>
            peer.routing.type === 'static' ? peer.routing.cidrs : [],
          ),
        ),
      );
    });

    it('is named windows in the internal zone', () => {
      const records = ofType(apps, 'AWS::Route53::RecordSet').map(([, record]) => record.Properties.Name);
      expect(records).toContain('windows.internal-client.url.');
    });
  });

  describe('the gateways', () => {
    const gateways = () => samplePlatform().gateway.servers;
    const groupOf = (name: string): Resource => {
      const found = ofType(ops, 'AWS::EC2::SecurityGroup').find(([, group]) =>
        String(group.Properties.GroupDescription).startsWith(`Gateway ${name}:`),
      );
      if (!found) throw new Error(`no group for gateway ${name}`);
      return found[1];
    };

    it.each(['windows', 'ftp'])('%s admits only the whitelist, on exactly its forwarded ports', (name) => {
      const server = gateways().find((candidate) => candidate.name === name);
      const ingress = groupOf(name).Properties.SecurityGroupIngress as Properties[];
      const whitelist = samplePlatform().gateway.whitelist;
      expect(ingress.every((rule) => whitelist.includes(rule.CidrIp))).toBe(true);
      expect(ingress.some((rule) => rule.CidrIp === '0.0.0.0/0' || rule.CidrIpv6 !== undefined)).toBe(false);
      const expected = (server?.services ?? []).flatMap((service) =>
        whitelist.map((cidr) => `${cidr} ${service.ports.from}-${service.ports.to}`),
      );
      expect(ingress.map((rule) => `${rule.CidrIp} ${rule.FromPort}-${rule.ToPort}`).sort()).toEqual(expected.sort());
    });

    it('each has an Elastic IP, an internal name and its address published for the FTP server', () => {
      expect(gatewaysOf(ops, 'AWS::EC2::EIP')).toHaveLength(2);
      expect(ofType(ops, 'AWS::EC2::EIPAssociation').length).toBeGreaterThanOrEqual(2);
      const names = ofType(ops, 'AWS::Route53::RecordSet')
        .map(([, record]) => record.Properties.Name as string)
        .filter((name) => name.startsWith('gateway-'));
      expect(names.sort()).toEqual(['gateway-ftp.internal-client.url.', 'gateway-windows.internal-client.url.']);
      const parameters = ofType(ops, 'AWS::SSM::Parameter')
        .map(([, parameter]) => parameter.Properties.Name as string)
        .filter((name) => name.startsWith('/storestack/apps/gateways/'));
      expect(parameters.sort()).toEqual([
        '/storestack/apps/gateways/ftp/public-ip',
        '/storestack/apps/gateways/windows/public-ip',
      ]);
    });

    it('run the pinned AMI with HAProxy set up by user data', () => {
      for (const [, instance] of gatewaysOf(ops, 'AWS::EC2::Instance')) {
        expect(instance.Properties.ImageId).toBe('ami-0c0f4d0d53a6b2f1e');
        expect(JSON.stringify(instance.Properties.UserData)).toContain('haproxy');
      }
    });
  });

  it('publishes the internal zone for the instances that register their names', () => {
    const parameters = ofType(network, 'AWS::SSM::Parameter').map(([, parameter]) => parameter.Properties.Name);
    expect(parameters).toContain('/storestack/shared/internal-zone-id');
  });
});

describe('a routine deploy replaces neither a gateway nor the Windows instance', () => {
  function diffOf(stack: 'ops' | 'apps', change: (input: PlatformInput) => void) {
    const before = Template.fromStack(synth(samplePlatform())[stack]).toJSON();
    const after = Template.fromStack(synth(platformWith(change))[stack]).toJSON();
    return { before, diff: fullDiff(before, after) };
  }

  it('updates a gateway in place when only its HAProxy configuration (its user data) changes', () => {
    const { before, diff } = diffOf('ops', (input) => {
      const ftp = input.gateway.servers.find((server) => server.name === 'ftp');
      ftp?.services.push({ name: 'extra', ports: { from: 990 } });
    });
    const instanceIds = gatewaysOf(before.Resources as Resources, 'AWS::EC2::Instance').map(([id]) => id);
    expect(instanceIds).toHaveLength(2);
    const changed = instanceIds.filter((id) => diff.resources.get(id)?.isDifferent);
    expect(changed).toHaveLength(1);
    const instance = diff.resources.get(changed[0] as string);
    expect(Object.keys(instance.propertyUpdates)).toEqual(['UserData']);
    // UserData is a conditional replacement: an EBS-backed instance is stopped and started.
    expect(instance.changeImpact).toBe(ResourceImpact.MAY_REPLACE);
    for (const [id] of gatewaysOf(before.Resources as Resources, 'AWS::EC2::EIP')) {
      expect(diff.resources.get(id)?.isDifferent ?? false).toBe(false);
    }
  });

  it('keeps the Windows instance when its gateway forwards another port or its size changes', () => {
    const { before, diff } = diffOf('apps', (input) => {
      input.windows.instanceType = 'm6i.2xlarge';
      const windows = input.gateway.servers.find((server) => server.name === 'windows');
      windows?.services.push({ name: 'extra', ports: { from: 9000 } });
    });
    const [instanceId] = only(before.Resources as Resources, 'AWS::EC2::Instance');
    const instance = diff.resources.get(instanceId);
    expect(Object.keys(instance.propertyUpdates)).toEqual(['InstanceType']);
    // InstanceType is a conditional replacement, like UserData: an EBS-backed instance (every
    // Windows AMI) is stopped, resized and started; same instance, same volumes, same name.
    expect(instance.changeImpact).toBe(ResourceImpact.MAY_REPLACE);
    // The group's new rule is added beside it; the attachments and the record stay as they are.
    for (const type of ['AWS::EC2::VolumeAttachment', 'AWS::Route53::RecordSet']) {
      for (const [id] of ofType(before.Resources as Resources, type)) {
        expect(diff.resources.get(id)?.isDifferent ?? false, id).toBe(false);
      }
    }
  });

  it('keeps the Windows instance when its user data changes', () => {
    const windowsTemplate = (userData: string) => {
      const stack = newStack();
      const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-12345678',
        availabilityZones: ['eu-west-3a'],
        privateSubnetIds: ['subnet-aaaa1111'],
      });
      const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        zoneName: 'internal-client.url',
      });
      new WindowsHost(stack, 'Windows', {
        vpc,
        subnet: vpc.privateSubnets[0] as ec2.ISubnet,
        instanceType: 'm6i.xlarge',
        amiId: 'ami-0a1b2c3d4e5f60718',
        volumes: [],
        admitted: [],
        internalZone: zone,
        userData,
      });
      return Template.fromStack(stack).toJSON();
    };
    const before = windowsTemplate('<powershell>Write-Output one</powershell>');
    const diff = fullDiff(before, windowsTemplate('<powershell>Write-Output two</powershell>'));
    const [instanceId] = only(before.Resources as Resources, 'AWS::EC2::Instance');
    const instance = diff.resources.get(instanceId);
    expect(Object.keys(instance.propertyUpdates)).toEqual(['UserData']);
    // Same logical ID, a conditional replacement: an EBS-backed instance is stopped and started.
    expect(instance.changeImpact).toBe(ResourceImpact.MAY_REPLACE);
  });
});
