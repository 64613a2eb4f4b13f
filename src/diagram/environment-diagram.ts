// "Magento Environment" of the hosting document, for one environment, drawn from the
// synthesized templates: a request's way from the users through CloudFront and the load
// balancer's rules to the instances; what the instances use (the NFS shares at their mount
// points, RDS, Redis, OpenSearch, Secrets Manager, the artifact bucket); and the release
// path from Rundeck through the artifact bucket to Beanstalk.
import { releaseArtifactsParameter } from '../config/names.ts';
import type { Platform } from '../config/schema.ts';
import { type Assembly, tag, text } from './assembly.ts';
import { DiagramBuilder, wrap } from './builder.ts';
import { capacity, type EnvironmentFacts, ruleLabel } from './facts.ts';
import type { Diagram } from './graph.ts';

/** Where Beanstalk puts the running release on the instances (the document's mount points). */
export const RELEASE_ROOT = '/var/app/current';

export function environmentDiagram(assembly: Assembly, platform: Platform, environment: string): Diagram {
  return new EnvironmentDiagramBuilder(assembly, platform, environment).build();
}

class EnvironmentDiagramBuilder extends DiagramBuilder {
  private readonly environments: EnvironmentFacts[];
  private users = '';
  private instances = '';

  constructor(
    assembly: Assembly,
    private readonly platform: Platform,
    private readonly environment: string,
  ) {
    super(assembly, `magento-${environment}`, `${platform.client.name}: Magento ${environment} (storestack)`);
    const path = `/${platform.project}/${environment}`;
    this.environments = this.facts
      .environments()
      .filter((candidate) => candidate.parameterPath === path && !candidate.app);
    if (this.environments.length === 0) {
      throw new Error(`the templates hold no Magento environment reading ${path}: synthesize the platform again`);
    }
  }

  build(): Diagram {
    const [gateway] = this.assembly.ofType('AWS::EC2::InternetGateway');
    if (!gateway) throw new Error('the templates hold no internet gateway: is this the storestack platform?');
    this.users = this.add(gateway, 'internet', ['Users', 'browsers, staff']);
    this.requestPath();
    this.dataPath();
    this.releasePath();
    return this.diagram;
  }

  private requestPath(): void {
    const [first] = this.environments;
    const loadBalancer = first?.loadBalancer;
    if (!loadBalancer) throw new Error(`${first?.name}: no shared load balancer in its option settings`);
    const hosts = [
      ...new Set(this.environments.flatMap((environment) => environment.rules.flatMap((rule) => rule.hosts))),
    ];
    const alb = this.add(loadBalancer, 'load-balancer', ['Application Load Balancer', ...wrap(hosts, 2)]);
    this.diagram.addEdge({ from: this.users, to: alb, kind: 'request', label: this.facts.listenersOf(loadBalancer) });

    // CloudFront's distributions whose origin this load balancer serves.
    const distributions = this.facts.distributions().flatMap(({ resource, aliases, origins }) => {
      const origin = origins.find((candidate) => hosts.includes(candidate.host));
      return origin ? [{ distribution: resource, aliases, host: origin.host, path: origin.path }] : [];
    });
    const edge =
      distributions.length > 0 ? this.diagram.addGroup({ id: 'edge', kind: 'edge', label: 'CloudFront' }) : undefined;
    for (const { distribution, aliases, host, path } of distributions) {
      const node = this.add(distribution, 'cloudfront', [aliases.join(', '), `origin path ${path || '/'}`], edge);
      this.diagram.addEdge({ from: this.users, to: node, kind: 'request', label: 'HTTPS' });
      this.diagram.addEdge({ from: node, to: alb, kind: 'route', label: `${host}${path}` });
    }

    this.instances = this.diagram.addGroup({
      id: 'instances',
      kind: 'spanning',
      label: `Magento ${this.environment} instances (private subnets)`,
    });
    for (const environment of this.environments) {
      const frame = this.diagram.addGroup({
        id: `environment-${environment.name}`,
        kind: 'environment',
        label: `${environment.name} (Beanstalk, ${capacity(environment)})`,
        parent: this.instances,
        source: `${environment.resource.stack}/${environment.resource.logicalId}`,
      });
      this.drawnAs(environment.resource, frame);
      for (let index = 1; index <= environment.minInstances; index++) {
        this.add(
          environment.resource,
          'instance',
          [
            `${environment.role ?? 'instance'} ${index}`,
            `nginx + php-fpm, ${environment.instanceType}`,
            `health ${environment.healthCheckPath ?? ''}`,
          ],
          frame,
          `instance${index}`,
        );
      }
      const rule = this.add(
        environment.resource,
        'listener-rule',
        [ruleLabel(environment, this.environments), `to ${environment.name}`],
        undefined,
        'rule',
      );
      this.diagram.addEdge({ from: alb, to: rule, kind: 'route' });
      this.diagram.addEdge({ from: rule, to: frame, kind: 'route' });
    }
  }

  private dataPath(): void {
    const mounts = new Map(this.platform.magento.mounts.map((mount) => [mount.share, `${RELEASE_ROOT}/${mount.path}`]));
    const [first] = this.environments;
    if (!first) return;

    const shares = this.facts.sharesOf(first);
    const servers = new Map<string, string>();
    for (const share of shares) {
      const server = share.server;
      let frame = server ? servers.get(`${server.stack}/${server.logicalId}`) : undefined;
      if (server && !frame) {
        const [dnsName] = this.facts.dnsNames(server);
        frame = this.diagram.addGroup({
          id: `file-server-${server.logicalId}`,
          kind: 'file-server',
          label:
            server.type === 'AWS::EFS::FileSystem'
              ? 'Amazon EFS (access points)'
              : `${dnsName ?? tag(server) ?? server.logicalId} (NFS server)`,
          source: `${server.stack}/${server.logicalId}`,
        });
        servers.set(`${server.stack}/${server.logicalId}`, frame);
      }
      const node = this.add(share.parameter, 'nfs-share', [share.name, share.location.replace(/^[^:]*:/, '')], frame);
      this.diagram.addEdge({
        from: this.instances,
        to: node,
        kind: 'mount',
        label: mounts.get(share.name) ?? 'mounted',
      });
    }

    const data = this.diagram.addGroup({ id: 'data', kind: 'spanning', label: 'data (Multi-AZ where configured)' });
    for (const service of this.facts.servicesOf(first)) {
      const resource = service.resource;
      let node = this.drawnOf(resource);
      if (!node) {
        if (resource.type === 'AWS::RDS::DBInstance') node = this.drawDatabase(resource, data);
        else if (resource.type === 'AWS::ElastiCache::ReplicationGroup') node = this.drawRedis(resource, () => data);
        else if (resource.type === 'AWS::OpenSearchService::Domain') node = this.drawSearch(resource, data);
        else continue;
      }
      this.diagram.addEdge({ from: this.instances, to: node, kind: 'data', label: service.label });
    }

    const secrets = this.facts.secretsOf(first);
    if (secrets.length > 0) {
      const group = this.diagram.addGroup({ id: 'secrets', kind: 'regional', label: 'Secrets Manager' });
      for (const secret of secrets) this.add(secret, 'secret', [text(secret, 'Name') ?? secret.logicalId], group);
      this.diagram.addEdge({ from: this.instances, to: group, kind: 'data', label: 'credentials at boot' });
    }
  }

  private releasePath(): void {
    const bucket = this.facts.parameterTarget(releaseArtifactsParameter(this.platform));
    const rundeck = this.facts.rundeck();
    const [first] = this.environments;
    const application = first ? this.facts.applicationOf(first) : undefined;
    if (!bucket || !rundeck || !application) {
      throw new Error('the templates hold no release path (artifact bucket, Rundeck, Beanstalk application)');
    }
    const [rundeckName] = this.facts.dnsNames(rundeck);
    const from = this.add(rundeck, 'rundeck', [rundeckName ?? 'rundeck', 'Rundeck: storestack release']);
    const artifacts = this.add(bucket, 'bucket', [text(bucket, 'BucketName') ?? bucket.logicalId, 'release zips']);
    const versions = this.add(application, 'beanstalk-application', [
      text(application, 'ApplicationName') ?? application.logicalId,
      'Beanstalk application versions',
    ]);
    this.diagram.addEdge({ from, to: artifacts, kind: 'release', label: '1. build, upload' });
    this.diagram.addEdge({ from: artifacts, to: versions, kind: 'release', label: '2. application version' });
    this.diagram.addEdge({
      from: versions,
      to: this.instances,
      kind: 'release',
      label: '3. rolling deploy, one at a time',
    });
    this.diagram.addEdge({ from: this.instances, to: artifacts, kind: 'data', label: 'bundle download' });
  }
}
