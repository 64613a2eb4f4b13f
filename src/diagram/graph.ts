// A diagram before layout: nodes, the groups that frame them (VPC, availability zones,
// subnets, Beanstalk environments), and edges. Every node and group records the template
// resource it stands for, so the picture can hold nothing the platform does not.

/** What a node stands for; its shape and colour follow. */
export type NodeKind =
  | 'internet'
  | 'customer-site'
  | 'vpn-connection'
  | 'vpn-gateway'
  | 'internet-gateway'
  | 'nat-gateway'
  | 'route-table'
  | 'openvpn'
  | 'gateway'
  | 'cloudfront'
  | 'load-balancer'
  | 'listener-rule'
  | 'beanstalk-application'
  | 'beanstalk-environment'
  | 'instance'
  | 'nfs-server'
  | 'nfs-share'
  | 'efs'
  | 'database'
  | 'database-standby'
  | 'redis-primary'
  | 'redis-replica'
  | 'search'
  | 'windows-host'
  | 'rundeck'
  | 'ansible'
  | 'phpmyadmin'
  | 'bucket'
  | 'secret';

export type GroupKind =
  | 'region'
  | 'vpc'
  | 'subnets'
  | 'public-subnet'
  | 'private-subnet'
  | 'spanning'
  | 'edge'
  | 'regional'
  | 'environment'
  | 'file-server';

export type EdgeKind =
  | 'request'
  | 'route'
  | 'forward'
  | 'vpn'
  | 'egress'
  | 'mount'
  | 'data'
  | 'replication'
  | 'release';

export interface DiagramNode {
  readonly id: string;
  readonly kind: NodeKind;
  /** Lines of the label: the document's name first. */
  readonly label: readonly string[];
  /** The template resource: `stack/logicalId`. */
  readonly source: string;
  readonly group?: string;
}

export interface DiagramGroup {
  readonly id: string;
  readonly kind: GroupKind;
  readonly label: string;
  readonly parent?: string;
  /** The template resource the frame stands for, when it is one (a VPC, a subnet). */
  readonly source?: string;
}

export interface DiagramEdge {
  /** A node id, or a group id: the edge then starts (or ends) at the group's frame. */
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label?: string;
}

export class Diagram {
  private readonly nodeMap = new Map<string, DiagramNode>();
  private readonly groupMap = new Map<string, DiagramGroup>();
  private readonly edgeList: DiagramEdge[] = [];

  constructor(
    readonly name: string,
    readonly title: string,
  ) {}

  get nodes(): readonly DiagramNode[] {
    return [...this.nodeMap.values()];
  }

  get groups(): readonly DiagramGroup[] {
    return [...this.groupMap.values()];
  }

  get edges(): readonly DiagramEdge[] {
    return this.edgeList;
  }

  addGroup(group: DiagramGroup): string {
    if (this.groupMap.has(group.id) || this.nodeMap.has(group.id)) throw new Error(`duplicate diagram id ${group.id}`);
    if (group.parent !== undefined && !this.groupMap.has(group.parent)) {
      throw new Error(`group ${group.id}: unknown parent ${group.parent}`);
    }
    this.groupMap.set(group.id, group);
    return group.id;
  }

  addNode(node: DiagramNode): string {
    if (this.nodeMap.has(node.id) || this.groupMap.has(node.id)) throw new Error(`duplicate diagram id ${node.id}`);
    if (node.group !== undefined && !this.groupMap.has(node.group)) {
      throw new Error(`node ${node.id}: unknown group ${node.group}`);
    }
    this.nodeMap.set(node.id, node);
    return node.id;
  }

  addEdge(edge: DiagramEdge): void {
    for (const end of [edge.from, edge.to]) {
      if (!this.nodeMap.has(end) && !this.groupMap.has(end))
        throw new Error(`edge ${edge.from} -> ${edge.to}: unknown ${end}`);
    }
    this.edgeList.push(edge);
  }

  node(id: string): DiagramNode | undefined {
    return this.nodeMap.get(id);
  }

  group(id: string): DiagramGroup | undefined {
    return this.groupMap.get(id);
  }

  nodesOf(kind: NodeKind): DiagramNode[] {
    return this.nodes.filter((node) => node.kind === kind);
  }

  groupsOf(kind: GroupKind): DiagramGroup[] {
    return this.groups.filter((group) => group.kind === kind);
  }

  /** The group's nodes, its subgroups' included. */
  nodesWithin(groupId: string): DiagramNode[] {
    const inside = new Set([groupId]);
    for (const group of this.groups) if (group.parent !== undefined && inside.has(group.parent)) inside.add(group.id);
    return this.nodes.filter((node) => node.group !== undefined && inside.has(node.group));
  }
}

/** A diagram id from a template resource: stable across syntheses, safe in DOT. */
export function resourceId(stack: string, logicalId: string, suffix = ''): string {
  return `${stack}.${logicalId}${suffix ? `.${suffix}` : ''}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** `stack/logicalId`, the form a node's source takes. */
export function sourceOf(resource: { readonly stack: string; readonly logicalId: string }): string {
  return `${resource.stack}/${resource.logicalId}`;
}
