// The Magento web tier (issue 4's "Done when"): two Beanstalk environments per environment behind
// one shared ALB, `/backend/*` to the back office, HTTPS only, health check, rolling deployments,
// enhanced health metrics, IMDSv2, instances reachable from the ALB only, the instance role's scope.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/config/schema.ts';
import { createPlatformApp } from '../../src/infra/app.ts';
import type { PlatformStacks } from '../../src/infra/platform.ts';
import { MAGENTO_ENVIRONMENT_METRICS, MAGENTO_INSTANCE_METRICS } from '../../src/infra/stacks/magento-stack.ts';
import { platformWith, samplePlatform } from '../support.ts';
import { ofType, only, type Properties, type Resource, type Resources, resourcesOf, target } from './template.ts';

type Option = { Namespace: string; OptionName: string; Value: unknown };

interface Synthesized {
  stacks: PlatformStacks;
  resources: (stack: { stackName: string }) => Resources;
}

function synth(platform: Platform): Synthesized {
  // Gates off: test/infra/gates.test.ts runs them over the whole platform.
  const { stacks } = createPlatformApp({ platform, gates: false });
  const cache = new Map<string, Resources>();
  const resources = (stack: { stackName: string }) => {
    let found = cache.get(stack.stackName);
    if (!found) {
      const all = [
        stacks.network,
        stacks.storage,
        stacks.appsData,
        stacks.magentoApplication,
        ...stacks.data.values(),
        ...stacks.magento.values(),
      ];
      const match = all.find((candidate) => candidate.stackName === stack.stackName);
      if (!match) throw new Error(`no stack ${stack.stackName}`);
      found = resourcesOf(Template.fromStack(match));
      cache.set(stack.stackName, found);
    }
    return found;
  };
  return { stacks, resources };
}

/** The option `namespace:name` of a Beanstalk environment, undefined when unset. */
function option(environment: Resource, namespace: string, name: string): unknown {
  const options = environment.Properties.OptionSettings as Option[];
  return options.find((candidate) => candidate.Namespace === namespace && candidate.OptionName === name)?.Value;
}

/** Every option of a namespace that starts with `prefix`. */
function namespaces(environment: Resource, prefix: string): string[] {
  const options = environment.Properties.OptionSettings as Option[];
  return [...new Set(options.map((candidate) => candidate.Namespace).filter((name) => name.startsWith(prefix)))];
}

const ENVIRONMENTS = ['prod', 'preprod'] as const;

describe('Magento stacks (sample configuration)', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synth(samplePlatform());
  });
  const stackOf = (env: string) => {
    const stack = synthesized.stacks.magento.get(env);
    if (!stack) throw new Error(`no Magento stack for ${env}`);
    return stack;
  };
  const resourcesOfEnv = (env: string) => synthesized.resources(stackOf(env));
  /** The front-end and back-office environments of `env`, by their Beanstalk names. */
  const beanstalk = (env: string) => {
    const environments = new Map(
      ofType(resourcesOfEnv(env), 'AWS::ElasticBeanstalk::Environment').map(([id, resource]) => [
        resource.Properties.EnvironmentName as string,
        { id, resource },
      ]),
    );
    const get = (name: string) => {
      const found = environments.get(name);
      if (!found) throw new Error(`no Beanstalk environment ${name} in ${[...environments.keys()].join(', ')}`);
      return found;
    };
    return { all: environments, frontend: get(`client-${env}-frontend`), backOffice: get(`client-${env}-backoffice`) };
  };

  it('has one Beanstalk application, shared by every environment', () => {
    const [, application] = only(
      synthesized.resources(synthesized.stacks.magentoApplication),
      'AWS::ElasticBeanstalk::Application',
    );
    expect(application.Properties.ApplicationName).toBe('client-magento');
    for (const env of ENVIRONMENTS) {
      for (const { resource } of beanstalk(env).all.values()) {
        expect(resource.Properties.ApplicationName).toBe('client-magento');
      }
    }
  });

  it.each([
    ['prod', 4, 'c7i.xlarge', 1, 'm7i.xlarge'],
    ['preprod', 1, 't3.large', 1, 't3.large'],
  ])(
    '%s: a front end of %i and a back office of %i instances, on the pinned platform',
    (env, front, frontType, back, backType) => {
      const { all, frontend, backOffice } = beanstalk(env);
      expect(all.size).toBe(2);
      for (const [{ resource }, count, type] of [
        [frontend, front, frontType],
        [backOffice, back, backType],
      ] as const) {
        expect(option(resource, 'aws:autoscaling:asg', 'MinSize')).toBe(String(count));
        expect(option(resource, 'aws:autoscaling:asg', 'MaxSize')).toBe(String(count));
        expect(option(resource, 'aws:ec2:instances', 'InstanceTypes')).toBe(type);
        expect(resource.Properties.SolutionStackName).toBe('64bit Amazon Linux 2023 v4.7.5 running PHP 8.3');
      }
    },
  );

  describe.each(ENVIRONMENTS)('%s: the shared load balancer', (env) => {
    const loadBalancer = () => only(resourcesOfEnv(env), 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const attribute = (key: string) =>
      (loadBalancer()[1].Properties.LoadBalancerAttributes as { Key: string; Value: unknown }[]).find(
        (candidate) => candidate.Key === key,
      )?.Value;
    const listeners = () =>
      new Map(
        ofType(resourcesOfEnv(env), 'AWS::ElasticLoadBalancingV2::Listener').map(([id, listener]) => [
          listener.Properties.Port as number,
          { id, listener },
        ]),
      );

    it('is one internet-facing ALB that both Beanstalk environments join in shared mode', () => {
      const [albId, alb] = loadBalancer();
      expect(alb.Properties.Scheme).toBe('internet-facing');
      for (const { resource } of beanstalk(env).all.values()) {
        expect(option(resource, 'aws:elasticbeanstalk:environment', 'LoadBalancerIsShared')).toBe('true');
        expect(target(option(resource, 'aws:elbv2:loadbalancer', 'SharedLoadBalancer'))).toBe(albId);
        // Its own group, so Beanstalk attaches none of its own to the load balancer.
        expect(target(option(resource, 'aws:elbv2:loadbalancer', 'SecurityGroups'))).toBe(
          target((alb.Properties.SecurityGroups as unknown[])[0]),
        );
      }
    });

    it('serves HTTPS with the imported certificate and a TLS 1.2+ policy, and only redirects HTTP', () => {
      const byPort = listeners();
      expect([...byPort.keys()].sort()).toEqual([443, 80]);
      const https = byPort.get(443)?.listener.Properties as Properties;
      expect(https.Protocol).toBe('HTTPS');
      expect(https.Certificates).toEqual([
        { CertificateArn: 'arn:aws:acm:eu-west-3:123456789012:certificate/0f1e2d3c-4b5a-4697-8877-665544332211' },
      ]);
      expect(https.SslPolicy).toBe('ELBSecurityPolicy-TLS13-1-2-Res-2021-06');
      // No rule: an unknown host gets a 404, not the store.
      expect(https.DefaultActions).toEqual([
        expect.objectContaining({
          Type: 'fixed-response',
          FixedResponseConfig: expect.objectContaining({ StatusCode: '404' }),
        }),
      ]);
      const http = byPort.get(80)?.listener.Properties as Properties;
      expect(http.Protocol).toBe('HTTP');
      expect(http.DefaultActions).toEqual([
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ]);
    });

    it('keeps every Beanstalk rule off port 80: the HTTP listener is created after both environments', () => {
      const http = listeners().get(80)?.listener as Resource & { DependsOn?: string[] };
      const { frontend, backOffice } = beanstalk(env);
      expect(http.DependsOn).toEqual(expect.arrayContaining([frontend.id, backOffice.id]));
      for (const { resource } of beanstalk(env).all.values()) {
        expect(namespaces(resource, 'aws:elbv2:listener:')).toEqual(['aws:elbv2:listener:443']);
      }
    });

    it('drops invalid headers and logs access into the ALB log bucket, without a prefix', () => {
      expect(attribute('routing.http.drop_invalid_header_fields.enabled')).toBe('true');
      expect(attribute('access_logs.s3.enabled')).toBe('true');
      expect(JSON.stringify(attribute('access_logs.s3.bucket'))).toMatch(/BucketsElbLogs/);
      expect(attribute('access_logs.s3.prefix')).toBeUndefined();
    });

    it('sends /backend/* to the back office and the store names to the front end, back office created first', () => {
      const { frontend, backOffice } = beanstalk(env);
      const hosts = env === 'prod' ? 'client.url,www.client.url,origin.client.url' : 'preprod.client.url';
      expect(option(backOffice.resource, 'aws:elbv2:listener:443', 'Rules')).toBe('default,backend');
      expect(option(backOffice.resource, 'aws:elbv2:listenerrule:backend', 'PathPatterns')).toBe('/backend/*');
      expect(option(backOffice.resource, 'aws:elbv2:listenerrule:backend', 'HostHeaders')).toBe(hosts);
      expect(option(backOffice.resource, 'aws:elbv2:listenerrule:backend', 'Process')).toBe('default');
      expect(option(frontend.resource, 'aws:elbv2:listener:443', 'Rules')).toBe('default,store');
      expect(option(frontend.resource, 'aws:elbv2:listenerrule:store', 'HostHeaders')).toBe(hosts);
      expect(option(frontend.resource, 'aws:elbv2:listenerrule:store', 'PathPatterns')).toBeUndefined();
      // Beanstalk gives a shared load balancer's rules their absolute priorities in creation order.
      expect((frontend.resource as Resource & { DependsOn?: string[] }).DependsOn).toContain(backOffice.id);
    });

    it('health-checks /pub/health_check.php for a 200, draining connections for the configured delay', () => {
      for (const { resource } of beanstalk(env).all.values()) {
        const process = 'aws:elasticbeanstalk:environment:process:default';
        expect(option(resource, process, 'HealthCheckPath')).toBe('/pub/health_check.php');
        expect(option(resource, process, 'MatcherHTTPCode')).toBe('200');
        expect(option(resource, process, 'DeregistrationDelay')).toBe('120');
      }
    });

    it('deletes the load balancer only when config allows it', () => {
      expect(attribute('deletion_protection.enabled')).toBe(env === 'prod' ? 'true' : 'false');
    });
  });

  describe.each(ENVIRONMENTS)('%s: the instances', (env) => {
    it('deploy one at a time on an additional batch, with the configured timeout, and roll configuration changes', () => {
      for (const { resource } of beanstalk(env).all.values()) {
        expect(option(resource, 'aws:elasticbeanstalk:command', 'DeploymentPolicy')).toBe('RollingWithAdditionalBatch');
        expect(option(resource, 'aws:elasticbeanstalk:command', 'BatchSizeType')).toBe('Fixed');
        expect(option(resource, 'aws:elasticbeanstalk:command', 'BatchSize')).toBe('1');
        expect(option(resource, 'aws:elasticbeanstalk:command', 'Timeout')).toBe('1800');
        expect(option(resource, 'aws:autoscaling:updatepolicy:rollingupdate', 'RollingUpdateEnabled')).toBe('true');
        expect(option(resource, 'aws:autoscaling:updatepolicy:rollingupdate', 'MaxBatchSize')).toBe('1');
      }
    });

    it('report enhanced health with the metrics the dashboard and alarms read, 4xx ignored', () => {
      for (const { resource } of beanstalk(env).all.values()) {
        expect(option(resource, 'aws:elasticbeanstalk:healthreporting:system', 'SystemType')).toBe('enhanced');
        const document = JSON.parse(
          option(resource, 'aws:elasticbeanstalk:healthreporting:system', 'ConfigDocument') as string,
        );
        expect(Object.keys(document.CloudWatchMetrics.Environment)).toEqual([...MAGENTO_ENVIRONMENT_METRICS]);
        expect(Object.keys(document.CloudWatchMetrics.Instance)).toEqual([...MAGENTO_INSTANCE_METRICS]);
        for (const metric of [
          'EnvironmentHealth',
          'ApplicationRequests2xx',
          'ApplicationRequests3xx',
          'ApplicationRequests4xx',
          'ApplicationRequests5xx',
          'ApplicationLatencyP99',
        ]) {
          expect(MAGENTO_ENVIRONMENT_METRICS).toContain(metric);
        }
        expect(MAGENTO_INSTANCE_METRICS).toEqual(expect.arrayContaining(['InstanceHealth', 'LoadAverage5min']));
        expect(document.Rules.Environment.Application.ApplicationRequests4xx.Enabled).toBe(false);
      }
    });

    it('run in the private subnets with IMDSv2 only, gp3 roots, after EBS encryption by default is on', () => {
      const network = synthesized.resources(synthesized.stacks.network);
      const [encryptionId] = only(network, 'Custom::EbsEncryptionByDefault');
      expect(encryptionId).toBeDefined();
      const magento = stackOf(env);
      expect(magento.dependencies.map((stack) => stack.stackName)).toContain('storestack-Network');
      for (const { resource } of beanstalk(env).all.values()) {
        expect(option(resource, 'aws:ec2:vpc', 'AssociatePublicIpAddress')).toBe('false');
        expect(JSON.stringify(option(resource, 'aws:ec2:vpc', 'Subnets'))).toMatch(/PrivateSubnet/);
        expect(JSON.stringify(option(resource, 'aws:ec2:vpc', 'Subnets'))).not.toMatch(/PublicSubnet/);
        expect(option(resource, 'aws:autoscaling:launchconfiguration', 'DisableIMDSv1')).toBe('true');
        expect(option(resource, 'aws:autoscaling:launchconfiguration', 'RootVolumeType')).toBe('gp3');
      }
    });

    it('are reachable only from the load balancer, on port 80', () => {
      const networkResources = synthesized.resources(synthesized.stacks.network);
      const magentoGroupId = synthesized.stacks.network.resolve(
        synthesized.stacks.network.consumers.magento(env).securityGroupId,
      );
      const groupLogicalId = target(magentoGroupId);
      // The group itself carries no ingress...
      expect(networkResources[groupLogicalId]?.Properties.SecurityGroupIngress).toBeUndefined();
      // ...and the instances wear it alone (Beanstalk's default group is disabled).
      for (const { resource } of beanstalk(env).all.values()) {
        expect(option(resource, 'aws:autoscaling:launchconfiguration', 'DisableDefaultEC2SecurityGroup')).toBe('true');
        expect(JSON.stringify(option(resource, 'aws:autoscaling:launchconfiguration', 'SecurityGroups'))).toMatch(
          new RegExp(`Consumers(Magento${env})`, 'i'),
        );
      }
      // Every ingress rule on the group, in any stack, comes from this environment's ALB group.
      const [albGroupId] = only(resourcesOfEnv(env), 'AWS::EC2::SecurityGroup');
      const everyStack = [
        synthesized.stacks.network,
        synthesized.stacks.storage,
        synthesized.stacks.appsData,
        ...synthesized.stacks.data.values(),
        ...synthesized.stacks.magento.values(),
      ];
      const exportName = `ConsumersMagento${env}`;
      const rules = everyStack.flatMap((stack) =>
        ofType(synthesized.resources(stack), 'AWS::EC2::SecurityGroupIngress')
          .map(([, rule]) => ({ stack: stack.stackName, rule: rule.Properties }))
          .filter(
            ({ rule }) => JSON.stringify(rule.GroupId).includes(exportName) || target(rule.GroupId) === groupLogicalId,
          ),
      );
      expect(rules).toEqual([
        {
          stack: `storestack-Magento-${env}`,
          rule: expect.objectContaining({
            IpProtocol: 'tcp',
            FromPort: 80,
            ToPort: 80,
            SourceSecurityGroupId: { 'Fn::GetAtt': [albGroupId, 'GroupId'] },
          }),
        },
      ]);
    });

    it('carry parameter paths and roles in their properties, never a secret value', () => {
      const { frontend, backOffice } = beanstalk(env);
      const properties = (resource: Resource) =>
        Object.fromEntries(
          (resource.Properties.OptionSettings as Option[])
            .filter((candidate) => candidate.Namespace === 'aws:elasticbeanstalk:application:environment')
            .map((candidate) => [candidate.OptionName, candidate.Value]),
        );
      expect(properties(frontend.resource)).toEqual({
        STORESTACK_ROLE: 'frontend',
        STORESTACK_ENVIRONMENT: env,
        STORESTACK_PARAMETER_PATH: `/storestack/${env}`,
      });
      expect(properties(backOffice.resource)).toMatchObject({ STORESTACK_ROLE: 'backOffice' });
      expect(JSON.stringify(resourcesOfEnv(env))).not.toMatch(/resolve:secretsmanager/);
    });

    it('apply the configured PHP limits through the platform options', () => {
      for (const { resource } of beanstalk(env).all.values()) {
        const phpini = 'aws:elasticbeanstalk:container:php:phpini';
        expect(option(resource, phpini, 'memory_limit')).toBe('2G');
        expect(option(resource, phpini, 'document_root')).toBe('/pub');
      }
    });
  });

  describe.each(ENVIRONMENTS)("%s: the instance role's scope", (env) => {
    const other = env === 'prod' ? 'preprod' : 'prod';
    const statements = () => {
      const resources = resourcesOfEnv(env);
      const [, profile] = only(resources, 'AWS::IAM::InstanceProfile');
      const role = resources[target((profile.Properties.Roles as unknown[])[0])] as Resource;
      const attached = role.Properties.ManagedPolicyArns as unknown[];
      const custom = ofType(resources, 'AWS::IAM::ManagedPolicy').filter(([id]) =>
        attached.some((arn) => target(arn) === id),
      );
      expect(custom).toHaveLength(1);
      expect(role.Properties.Policies).toBeUndefined();
      return {
        attached,
        statements: (custom[0]?.[1].Properties.PolicyDocument.Statement ?? []) as Properties[],
      };
    };
    const actions = (statement: Properties): string[] => [statement.Action].flat();
    const resourcesText = (statement: Properties) => JSON.stringify(statement.Resource);

    it('has SSM managed-instance access and the custom policy, nothing else attached', () => {
      const { attached } = statements();
      const awsManaged = attached.filter((arn) => JSON.stringify(arn).includes(':iam::aws:policy/'));
      expect(
        awsManaged.map((arn) =>
          JSON.stringify(arn)
            .replace(/.*policy\//, '')
            .replace(/"\]\]\}$/, ''),
        ),
      ).toEqual(['AmazonSSMManagedInstanceCore']);
    });

    it('reads only this environment’s parameters and secrets', () => {
      const all = statements().statements;
      const ssm = all.filter((statement) => actions(statement).some((action) => action.startsWith('ssm:')));
      expect(ssm.flatMap(actions).every((action) => action.startsWith('ssm:Get'))).toBe(true);
      expect(ssm.map(resourcesText).join()).toContain(`parameter/storestack/${env}`);
      const secrets = all.filter((statement) =>
        actions(statement).some((action) => action.startsWith('secretsmanager:')),
      );
      expect(secrets.flatMap(actions).sort()).toEqual([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ]);
      expect(secrets.map(resourcesText).join()).toContain(`secret:storestack/${env}/*`);
      expect(JSON.stringify(all)).not.toContain(`storestack/${other}/`);
      expect(JSON.stringify(all)).not.toContain(`/${other}/*`);
    });

    it('reads this environment’s configuration and the release bundles, and writes no bucket of the platform', () => {
      const all = statements().statements;
      const s3 = all.filter((statement) => actions(statement).some((action) => action.startsWith('s3:')));
      const writes = s3.filter((statement) => actions(statement).some((action) => !/^s3:(Get|List)/.test(action)));
      // The one write: Beanstalk's own bucket, where the host manager uploads log bundles.
      expect(writes.map(resourcesText)).toEqual([expect.stringMatching(/elasticbeanstalk-eu-west-3-123456789012/)]);
      const reads = s3
        .filter((statement) => !writes.includes(statement))
        .map(resourcesText)
        .join();
      expect(reads).toContain(`client-magento-config/${env}/*`);
      expect(reads).toContain('client-release-artifacts/*');
      expect(reads).not.toMatch(/client-(billing|temp-storage|magento-elb-logs|s3-access-logs)/);
    });

    it('grants no action on every resource but the CloudWatch agent’s metrics, held to its namespace', () => {
      const all = statements().statements;
      expect(all.flatMap(actions).some((action) => action === '*' || action.endsWith(':*'))).toBe(false);
      const everywhere = all.filter((statement) => statement.Resource === '*');
      expect(everywhere).toEqual([
        expect.objectContaining({
          Action: 'cloudwatch:PutMetricData',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } },
        }),
      ]);
    });

    it('decrypts only through Secrets Manager and S3', () => {
      const decrypts = statements().statements.filter((statement) => actions(statement).includes('kms:Decrypt'));
      expect(decrypts.map((statement) => statement.Condition.StringEquals['kms:ViaService']).sort()).toEqual([
        's3.eu-west-3.amazonaws.com',
        'secretsmanager.eu-west-3.amazonaws.com',
      ]);
    });
  });
});

describe('Magento stacks (configuration variations)', () => {
  it('takes the health check path and draining delay from config', () => {
    const { stacks } = createPlatformApp({
      platform: platformWith((input) => {
        input.magento.healthCheck = { path: '/health_check.php', deregistrationDelaySeconds: 30 };
      }),
      gates: false,
    });
    const resources = resourcesOf(Template.fromStack(stacks.magento.get('prod') as never));
    for (const [, resource] of ofType(resources, 'AWS::ElasticBeanstalk::Environment')) {
      expect(option(resource, 'aws:elasticbeanstalk:environment:process:default', 'HealthCheckPath')).toBe(
        '/health_check.php',
      );
      expect(option(resource, 'aws:elasticbeanstalk:environment:process:default', 'DeregistrationDelay')).toBe('30');
    }
  });

  it('lets the EFS shares be mounted through their access points with the instance role', () => {
    const { stacks } = createPlatformApp({
      platform: platformWith((input) => {
        input.storage.fileServer = { type: 'efs' };
      }),
      gates: false,
    });
    const resources = resourcesOf(Template.fromStack(stacks.magento.get('prod') as never));
    const [, policy] = only(resources, 'AWS::IAM::ManagedPolicy');
    const mount = (policy.Properties.PolicyDocument.Statement as Properties[]).find(
      (statement) => statement.Sid === 'MountSharesThroughAccessPoints',
    );
    expect(mount?.Action).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
    expect(mount?.Condition.StringEquals['elasticfilesystem:AccessPointArn']).toHaveLength(4);
  });
});
