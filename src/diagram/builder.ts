// What both diagrams draw the same way: a node per template resource (remembered, so
// edges can find it), the databases with their standbys and the Redis groups with their
// replicas.
import type { Assembly, AssemblyResource } from './assembly.ts';
import { text } from './assembly.ts';
import { PlatformFacts } from './facts.ts';
import { Diagram, type NodeKind, resourceId, sourceOf } from './graph.ts';

export abstract class DiagramBuilder {
  protected readonly facts: PlatformFacts;
  protected readonly diagram: Diagram;
  /** The diagram node (or group) of each resource drawn, by `stack/logicalId`. */
  private readonly drawn = new Map<string, string>();

  constructor(
    protected readonly assembly: Assembly,
    name: string,
    title: string,
  ) {
    this.facts = new PlatformFacts(assembly);
    this.diagram = new Diagram(name, title);
  }

  /** Draws `resource`; a suffix draws another node of the same resource (a standby, an instance). */
  protected add(resource: AssemblyResource, kind: NodeKind, label: string[], group?: string, suffix = ''): string {
    const id = this.diagram.addNode({
      id: resourceId(resource.stack, resource.logicalId, suffix),
      kind,
      label,
      source: sourceOf(resource),
      group,
    });
    if (!suffix) this.drawn.set(sourceOf(resource), id);
    return id;
  }

  /** Records that `resource` is drawn as the group `id`. */
  protected drawnAs(resource: AssemblyResource, id: string): void {
    this.drawn.set(sourceOf(resource), id);
  }

  protected drawnOf(resource: AssemblyResource | undefined): string | undefined {
    return resource ? this.drawn.get(sourceOf(resource)) : undefined;
  }

  /** An RDS instance, and its synchronous standby when it is Multi-AZ. */
  protected drawDatabase(database: AssemblyResource, group: string | undefined): string {
    const name = text(database, 'DBInstanceIdentifier') ?? database.logicalId;
    const primary = this.add(
      database,
      'database',
      [name, `RDS MySQL primary (${text(database, 'DBInstanceClass') ?? ''})`],
      group,
    );
    if (database.properties.MultiAZ === true) {
      const standby = this.add(database, 'database-standby', [name, 'standby in another AZ'], group, 'standby');
      this.diagram.addEdge({ from: primary, to: standby, kind: 'replication', label: 'synchronous' });
    }
    return primary;
  }

  /**
   * A Redis replication group: its primary and each replica, in the group `placeNode`
   * gives for the node's preferred availability zone.
   */
  protected drawRedis(group: AssemblyResource, placeNode: (zone: string | undefined) => string | undefined): string {
    const name = text(group, 'ReplicationGroupId') ?? group.logicalId;
    const zones = Array.isArray(group.properties.PreferredCacheClusterAZs)
      ? (group.properties.PreferredCacheClusterAZs as string[])
      : [];
    const count = Number(group.properties.NumCacheClusters ?? 1);
    const primary = this.add(
      group,
      'redis-primary',
      [name, `Redis primary (${text(group, 'CacheNodeType') ?? ''})`],
      placeNode(zones[0]),
    );
    for (let index = 1; index < count; index++) {
      const replica = this.add(
        group,
        'redis-replica',
        [name, `Redis replica${count > 2 ? ` ${index}` : ''}${zones[index] ? ` in ${zones[index]}` : ''}`],
        placeNode(zones[index]),
        `replica${index}`,
      );
      this.diagram.addEdge({ from: primary, to: replica, kind: 'replication', label: 'replication' });
    }
    return primary;
  }

  /** An EFS file system (the NFS server's stand-in), with its mount targets' count. */
  protected drawFileSystem(fileSystem: AssemblyResource, group: string | undefined): string {
    const targets = this.assembly.ofType('AWS::EFS::MountTarget').filter((target) => {
      const referenced = this.assembly.referenced(target.stack, target.properties.FileSystemId);
      return referenced?.logicalId === fileSystem.logicalId && referenced.stack === fileSystem.stack;
    });
    return this.add(fileSystem, 'efs', ['Amazon EFS', `NFS shares, ${targets.length} mount targets`], group);
  }

  /** An OpenSearch domain, named after the environment whose parameter points at it. */
  protected drawSearch(domain: AssemblyResource, group: string | undefined): string {
    const cluster = domain.properties.ClusterConfig as { InstanceType?: string; InstanceCount?: number } | undefined;
    const owner = this.assembly
      .ofType('AWS::SSM::Parameter', domain.stack)
      .map((parameter) => text(parameter, 'Name') ?? '')
      .find((name) => name.endsWith('/opensearch/endpoint'));
    return this.add(
      domain,
      'search',
      [
        `OpenSearch ${owner?.split('/')[2] ?? ''}`.trim(),
        `${cluster?.InstanceCount ?? 1} × ${cluster?.InstanceType ?? ''}`,
      ],
      group,
    );
  }
}

/** Items joined by ", ", `perLine` to a line. */
export function lines(items: readonly string[], perLine: number): string {
  return wrap(items, perLine).join('\n');
}

export function wrap(items: readonly string[], perLine: number): string[] {
  const result: string[] = [];
  for (let index = 0; index < items.length; index += perLine) {
    result.push(items.slice(index, index + perLine).join(', '));
  }
  return result;
}
