// What the diagrams need to know about the synthesized platform, read from the templates:
// which names point at a resource, what a Beanstalk environment runs and where its load
// balancer sends it traffic, which shares, databases and caches it is given (the SSM
// parameters under its STORESTACK_PARAMETER_PATH, as the instances find them at boot).
import { type Assembly, type AssemblyResource, optionSetting, optionValue, tag, text } from './assembly.ts';

export interface ListenerRule {
  readonly name: string;
  readonly paths: readonly string[];
  readonly hosts: readonly string[];
}

export interface EnvironmentFacts {
  readonly resource: AssemblyResource;
  readonly name: string;
  readonly minInstances: number;
  readonly maxInstances: number;
  readonly instanceType: string;
  /** `/storestack/prod`: where its instances read their parameters. */
  readonly parameterPath?: string;
  /** STORESTACK_ROLE (Magento: frontend, backOffice) or STORESTACK_APP (pim, connector, mirakl). */
  readonly role?: string;
  readonly app?: string;
  readonly loadBalancer?: AssemblyResource;
  readonly rules: readonly ListenerRule[];
  readonly healthCheckPath?: string;
}

export interface ShareFacts {
  /** The share's name: the parameter's last segment (`client-media`). */
  readonly name: string;
  readonly parameter: AssemblyResource;
  /** `nfs.internal-client.url:/exports/prod/client-media`, or the EFS access point. */
  readonly location: string;
  /** The NFS server's instance or the EFS file system. */
  readonly server?: AssemblyResource;
}

export interface ServiceFacts {
  readonly resource: AssemblyResource;
  /** `database`, `cache`, `sessions`, `opensearch`. */
  readonly label: string;
}

/** A CloudFront distribution: its names and, per origin, the host and path it fetches from. */
export interface DistributionFacts {
  readonly resource: AssemblyResource;
  readonly aliases: readonly string[];
  readonly origins: readonly { readonly host: string; readonly path: string }[];
}

export type InstanceRole = 'openvpn' | 'gateway' | 'rundeck' | 'ansible' | 'phpmyadmin' | 'windows-host' | 'nfs-server';

const ENVIRONMENT = 'aws:elasticbeanstalk:application:environment';

export class PlatformFacts {
  constructor(readonly assembly: Assembly) {}

  /** The DNS names (without the final dot) whose records point at `resource`. */
  dnsNames(resource: AssemblyResource): string[] {
    const names = new Set<string>();
    for (const record of this.assembly.ofType('AWS::Route53::RecordSet')) {
      const targets = this.assembly.referencedWithin(record.stack, [
        record.properties.ResourceRecords,
        record.properties.AliasTarget,
      ]);
      const name = text(record, 'Name');
      if (name && targets.some((target) => same(target, resource))) names.add(name.replace(/\.$/, ''));
    }
    return [...names];
  }

  /** What an EC2 instance is for, from its Name tag (the constructs name them so). */
  instanceRole(instance: AssemblyResource): InstanceRole | undefined {
    const name = tag(instance) ?? '';
    if (name.startsWith('gateway-')) return 'gateway';
    if (name.startsWith('nfs')) return 'nfs-server';
    const roles: Record<string, InstanceRole> = {
      vpn: 'openvpn',
      openvpn: 'openvpn',
      rundeck: 'rundeck',
      ansible: 'ansible',
      phpmyadmin: 'phpmyadmin',
      windows: 'windows-host',
    };
    return roles[name];
  }

  /** The subnet an instance is launched in. */
  subnetOf(instance: AssemblyResource): AssemblyResource | undefined {
    return this.assembly.referenced(instance.stack, instance.properties.SubnetId);
  }

  /** The TCP/UDP ports an instance's security groups open, as `name port` (`smb 445`, `UDP 1194`). */
  ingressPorts(instance: AssemblyResource): string[] {
    const groups = this.assembly.referencedWithin(instance.stack, instance.properties.SecurityGroupIds);
    const ports = new Set<string>();
    for (const group of groups) {
      const rules = group.properties.SecurityGroupIngress;
      for (const rule of Array.isArray(rules) ? rules : []) {
        const {
          FromPort: from,
          ToPort: to,
          IpProtocol: protocol,
          Description: description,
        } = rule as Record<string, unknown>;
        if (typeof from !== 'number') continue;
        const range = to === undefined || to === from ? `${from}` : `${from}-${to}`;
        // The constructs describe a forwarded service as `smb (445) from <cidr>`.
        const service = typeof description === 'string' ? /^([\w-]+) \(/.exec(description)?.[1] : undefined;
        ports.add(`${service ?? (protocol === 'udp' ? 'UDP' : 'TCP')} ${range}`);
      }
    }
    return [...ports];
  }

  environments(): EnvironmentFacts[] {
    return this.assembly.ofType('AWS::ElasticBeanstalk::Environment').map((resource) => this.environment(resource));
  }

  environment(resource: AssemblyResource): EnvironmentFacts {
    const rules = (optionSetting(resource, 'aws:elbv2:listener:443', 'Rules') ?? '')
      .split(',')
      .map((rule) => rule.trim())
      .filter((rule) => rule && rule !== 'default')
      .map((name) => {
        const list = (option: string) =>
          (optionSetting(resource, `aws:elbv2:listenerrule:${name}`, option) ?? '')
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean);
        return { name, paths: list('PathPatterns'), hosts: list('HostHeaders') };
      });
    return {
      resource,
      name: text(resource, 'EnvironmentName') ?? resource.logicalId,
      minInstances: Number(optionSetting(resource, 'aws:autoscaling:asg', 'MinSize') ?? 1),
      maxInstances: Number(optionSetting(resource, 'aws:autoscaling:asg', 'MaxSize') ?? 1),
      instanceType: optionSetting(resource, 'aws:ec2:instances', 'InstanceTypes') ?? '',
      parameterPath: optionSetting(resource, ENVIRONMENT, 'STORESTACK_PARAMETER_PATH'),
      role: optionSetting(resource, ENVIRONMENT, 'STORESTACK_ROLE'),
      app: optionSetting(resource, ENVIRONMENT, 'STORESTACK_APP'),
      loadBalancer: this.assembly.referenced(
        resource.stack,
        optionValue(resource, 'aws:elbv2:loadbalancer', 'SharedLoadBalancer'),
      ),
      rules,
      healthCheckPath: optionSetting(resource, 'aws:elasticbeanstalk:environment:process:default', 'HealthCheckPath'),
    };
  }

  /** An SSM parameter by name. */
  parameter(name: string): AssemblyResource | undefined {
    return this.assembly.ofType('AWS::SSM::Parameter').find((parameter) => text(parameter, 'Name') === name);
  }

  /** The resource an SSM parameter's value refers to (`/storestack/prod/database/endpoint` -> the DB). */
  parameterTarget(name: string): AssemblyResource | undefined {
    const parameter = this.parameter(name);
    return parameter ? this.assembly.referenced(parameter.stack, parameter.properties.Value) : undefined;
  }

  /**
   * The shares an environment mounts: its own (`<path>/shares/*`) and, for a satellite
   * app, the shared one named after it (`/<project>/shared/shares/<app>`).
   */
  sharesOf(environment: EnvironmentFacts): ShareFacts[] {
    const path = environment.parameterPath;
    if (!path) return [];
    const prefixes = [`${path}/shares/`];
    const project = path.split('/')[1];
    const exact = environment.app ? `/${project}/shared/shares/${environment.app}` : undefined;
    return this.assembly
      .ofType('AWS::SSM::Parameter')
      .filter((parameter) => {
        const name = text(parameter, 'Name') ?? '';
        return prefixes.some((prefix) => name.startsWith(prefix)) || name === exact;
      })
      .map((parameter) => this.share(parameter));
  }

  private share(parameter: AssemblyResource): ShareFacts {
    const name = (text(parameter, 'Name') ?? '').split('/').pop() ?? '';
    const value = parameter.properties.Value;
    const referenced = this.assembly.referencedWithin(parameter.stack, value);
    if (typeof value === 'string') {
      const host = value.split(':')[0] ?? '';
      return { name, parameter, location: value, server: this.resourceNamed(host) };
    }
    const fileSystem = referenced.find((resource) => resource.type === 'AWS::EFS::FileSystem') ?? referenced[0];
    const accessPoint = referenced.find((resource) => resource.type === 'AWS::EFS::AccessPoint');
    const root = accessPoint ? accessPointPath(accessPoint) : undefined;
    return { name, parameter, location: root ? `EFS ${root}` : `EFS ${name}`, server: this.efsOf(fileSystem) };
  }

  private efsOf(resource: AssemblyResource | undefined): AssemblyResource | undefined {
    if (!resource || resource.type === 'AWS::EFS::FileSystem') return resource;
    return this.assembly
      .referencedWithin(resource.stack, resource.properties)
      .find((r) => r.type === 'AWS::EFS::FileSystem');
  }

  /**
   * The data services an environment's instances are pointed at: the resources behind its
   * `<path>/database/endpoint`, `<path>/redis/*-endpoint` and `<path>/opensearch/endpoint`.
   */
  servicesOf(environment: EnvironmentFacts): ServiceFacts[] {
    return this.parametersOf(environment, 'endpoint').flatMap(({ relativeName, target }) => {
      const [service = '', key = ''] = relativeName.split('/');
      return target ? [{ resource: target, label: key === 'endpoint' ? service : key.replace(/-endpoint$/, '') }] : [];
    });
  }

  /** The Secrets Manager secrets an environment's instances are given (the `...secret-arn` parameters under its path). */
  secretsOf(environment: EnvironmentFacts): AssemblyResource[] {
    return this.parametersOf(environment, 'secret-arn').flatMap(({ target }) => {
      // A database's secret is given through its attachment to the instance.
      const secret =
        target?.type === 'AWS::SecretsManager::SecretTargetAttachment'
          ? this.assembly.referenced(target.stack, target.properties.SecretId)
          : target;
      return secret?.type === 'AWS::SecretsManager::Secret' ? [secret] : [];
    });
  }

  /** The parameters under an environment's path whose name ends with `suffix`, and what each refers to. */
  private parametersOf(
    environment: EnvironmentFacts,
    suffix: string,
  ): { relativeName: string; target: AssemblyResource | undefined }[] {
    const path = environment.parameterPath;
    if (!path) return [];
    return this.assembly
      .ofType('AWS::SSM::Parameter')
      .filter((parameter) => {
        const name = text(parameter, 'Name') ?? '';
        return name.startsWith(`${path}/`) && name.endsWith(suffix);
      })
      .map((parameter) => ({
        relativeName: (text(parameter, 'Name') ?? '').slice(path.length + 1),
        target: this.assembly.referenced(parameter.stack, parameter.properties.Value),
      }));
  }

  /** The Beanstalk application an environment belongs to. */
  applicationOf(environment: EnvironmentFacts): AssemblyResource | undefined {
    const name = environment.resource.properties.ApplicationName;
    return (
      this.assembly.referenced(environment.resource.stack, name) ??
      this.assembly
        .ofType('AWS::ElasticBeanstalk::Application')
        .find((application) => text(application, 'ApplicationName') === name)
    );
  }

  /**
   * Which instances a data service's security groups let in (phpMyAdmin to the databases):
   * each ingress rule from a group an EC2 instance carries, into a group the service carries.
   */
  instanceClientsOfData(): { client: AssemblyResource; service: AssemblyResource; label: string }[] {
    const services = [
      ...this.assembly
        .ofType('AWS::RDS::DBInstance')
        .map((resource) => ({ resource, groups: resource.properties.VPCSecurityGroups })),
      ...this.assembly
        .ofType('AWS::ElastiCache::ReplicationGroup')
        .map((resource) => ({ resource, groups: resource.properties.SecurityGroupIds })),
    ];
    const instances = this.assembly.ofType('AWS::EC2::Instance');
    const carrying = (groups: unknown, stack: string, group: AssemblyResource) =>
      this.assembly.referencedWithin(stack, groups).some((candidate) => same(candidate, group));
    const found: { client: AssemblyResource; service: AssemblyResource; label: string }[] = [];
    for (const rule of this.assembly.ofType('AWS::EC2::SecurityGroupIngress')) {
      const source = this.assembly.referenced(rule.stack, rule.properties.SourceSecurityGroupId);
      const target = this.assembly.referenced(rule.stack, rule.properties.GroupId);
      if (!source || !target) continue;
      const service = services.find((candidate) => carrying(candidate.groups, candidate.resource.stack, target));
      const client = instances.find((instance) =>
        carrying(instance.properties.SecurityGroupIds, instance.stack, source),
      );
      if (!service || !client) continue;
      const description = text(rule, 'Description') ?? '';
      found.push({
        client,
        service: service.resource,
        label: `${description.split(' from ')[0] || 'TCP'} ${rule.properties.FromPort ?? ''}`.trim(),
      });
    }
    return found;
  }

  /** The CloudFront distributions, with their aliases and their origins' hosts and paths. */
  distributions(): DistributionFacts[] {
    return this.assembly.ofType('AWS::CloudFront::Distribution').map((resource) => {
      const config = resource.properties.DistributionConfig as {
        Aliases?: string[];
        Origins?: { DomainName?: unknown; OriginPath?: string }[];
      };
      return {
        resource,
        aliases: config.Aliases ?? [],
        origins: (config.Origins ?? []).flatMap((origin) =>
          typeof origin.DomainName === 'string' ? [{ host: origin.DomainName, path: origin.OriginPath ?? '' }] : [],
        ),
      };
    });
  }

  /** A load balancer's listeners as `HTTPS 443, HTTP 80`. */
  listenersOf(loadBalancer: AssemblyResource): string {
    return this.assembly
      .ofType('AWS::ElasticLoadBalancingV2::Listener', loadBalancer.stack)
      .map((listener) => `${text(listener, 'Protocol') ?? ''} ${listener.properties.Port ?? ''}`)
      .join(', ');
  }

  /** The Rundeck server: the release's build host. */
  rundeck(): AssemblyResource | undefined {
    return this.assembly.ofType('AWS::EC2::Instance').find((instance) => this.instanceRole(instance) === 'rundeck');
  }

  /** The resource a DNS name points at (`nfs.internal-client.url`). */
  resourceNamed(host: string): AssemblyResource | undefined {
    const wanted = host.replace(/\.$/, '');
    for (const record of this.assembly.ofType('AWS::Route53::RecordSet')) {
      if ((text(record, 'Name') ?? '').replace(/\.$/, '') !== wanted) continue;
      const [target] = this.assembly.referencedWithin(record.stack, [
        record.properties.ResourceRecords,
        record.properties.AliasTarget,
      ]);
      if (target) return target;
    }
    return undefined;
  }

  /**
   * Where a gateway forwards to: the `<name>.<internal domain>` in its user data, the
   * instance with that DNS record or else the satellite environment whose STORESTACK_APP is `<name>`.
   */
  gatewayBackend(gateway: AssemblyResource, internalDomain: string): AssemblyResource | undefined {
    const userData = JSON.stringify(gateway.properties.UserData ?? '');
    const pattern = new RegExp(`([a-z0-9-]+)\\.${internalDomain.replace(/\./g, '\\.')}`, 'g');
    for (const [host, label] of userData.matchAll(pattern)) {
      const named = this.resourceNamed(host);
      if (named && !same(named, gateway)) return named;
      const environment = this.environments().find((candidate) => candidate.app === label);
      if (environment) return environment.resource;
    }
    return undefined;
  }
}

function accessPointPath(accessPoint: AssemblyResource): string | undefined {
  const root = accessPoint.properties.RootDirectory as { Path?: unknown } | undefined;
  return typeof root?.Path === 'string' ? root.Path : undefined;
}

export function same(a: AssemblyResource, b: AssemblyResource): boolean {
  return a.stack === b.stack && a.logicalId === b.logicalId;
}

/** `4 × c7i.xlarge`, or `1-4 × t3.large` when the group scales. */
export function capacity(environment: EnvironmentFacts): string {
  const count =
    environment.minInstances === environment.maxInstances
      ? `${environment.minInstances}`
      : `${environment.minInstances}-${environment.maxInstances}`;
  return `${count} × ${environment.instanceType}`;
}

/** How the load balancer picks an environment: its paths, else its hosts when they differ, else "the rest". */
export function ruleLabel(environment: EnvironmentFacts, all: readonly EnvironmentFacts[]): string {
  const paths = environment.rules.flatMap((rule) => rule.paths);
  if (paths.length > 0) return paths.join(', ');
  const siblings = all.filter(
    (other) =>
      other !== environment &&
      other.loadBalancer &&
      environment.loadBalancer &&
      same(other.loadBalancer, environment.loadBalancer),
  );
  const hosts = environment.rules.flatMap((rule) => rule.hosts);
  const sameHosts = siblings.some((other) => other.rules.flatMap((rule) => rule.hosts).join() === hosts.join());
  return sameHosts ? 'all other paths' : hosts.join(', ');
}
