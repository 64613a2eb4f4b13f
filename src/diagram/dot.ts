// A Diagram as Graphviz DOT text. The text is what the committed diagrams are checked
// against, so it depends on nothing but the diagram: same graph, same bytes.
import type { Diagram, DiagramGroup, DiagramNode, EdgeKind, GroupKind, NodeKind } from './graph.ts';

/**
 * Graphviz (WebAssembly) measures text with its built-in Arial metrics; the PNG is drawn
 * with Liberation Sans, which has Arial's metrics, so labels fit their boxes in both.
 */
export const FONT = 'Arial';

interface Look {
  readonly shape: string;
  readonly fill: string;
  readonly line: string;
}

// Colours of the AWS architecture icons' categories, light fills with the category's line.
const NETWORK: Look = { shape: 'box', fill: '#f1e9ff', line: '#8c4fff' };
const COMPUTE: Look = { shape: 'box', fill: '#fdf0e3', line: '#ed7100' };
const DATABASE: Look = { shape: 'cylinder', fill: '#e8ecfb', line: '#3b48cc' };
const STORAGE: Look = { shape: 'box', fill: '#eef6e3', line: '#3f8624' };
const SECURITY: Look = { shape: 'note', fill: '#fdeaec', line: '#dd344c' };
const OUTSIDE: Look = { shape: 'box', fill: '#ffffff', line: '#232f3e' };

const NODE_LOOKS: Record<NodeKind, Look> = {
  internet: { ...OUTSIDE, shape: 'ellipse' },
  'customer-site': { ...OUTSIDE, shape: 'house' },
  'vpn-connection': NETWORK,
  'vpn-gateway': NETWORK,
  'internet-gateway': NETWORK,
  'nat-gateway': NETWORK,
  openvpn: NETWORK,
  gateway: NETWORK,
  'route-table': { ...NETWORK, shape: 'box', fill: '#ffffff' },
  cloudfront: NETWORK,
  'load-balancer': NETWORK,
  'listener-rule': { ...NETWORK, shape: 'cds' },
  'beanstalk-application': COMPUTE,
  'beanstalk-environment': COMPUTE,
  instance: COMPUTE,
  'windows-host': COMPUTE,
  rundeck: COMPUTE,
  ansible: COMPUTE,
  phpmyadmin: COMPUTE,
  'nfs-server': STORAGE,
  'nfs-share': { ...STORAGE, shape: 'folder' },
  efs: STORAGE,
  bucket: { ...STORAGE, shape: 'cylinder' },
  database: DATABASE,
  'database-standby': DATABASE,
  'redis-primary': DATABASE,
  'redis-replica': DATABASE,
  search: DATABASE,
  secret: SECURITY,
};

const GROUP_LOOKS: Record<GroupKind, { style: string; line: string; fill: string }> = {
  region: { style: 'rounded', line: '#232f3e', fill: '#ffffff' },
  vpc: { style: 'rounded,filled', line: '#8c4fff', fill: '#fbf9ff' },
  subnets: { style: 'rounded,dashed', line: '#147eba', fill: '#ffffff' },
  'public-subnet': { style: 'rounded,filled', line: '#7aa116', fill: '#f2f8e8' },
  'private-subnet': { style: 'rounded,filled', line: '#147eba', fill: '#e9f3fa' },
  spanning: { style: 'rounded,dashed', line: '#147eba', fill: '#ffffff' },
  edge: { style: 'rounded,dashed', line: '#8c4fff', fill: '#ffffff' },
  regional: { style: 'rounded,dashed', line: '#232f3e', fill: '#ffffff' },
  environment: { style: 'rounded,filled', line: '#ed7100', fill: '#fffaf5' },
  'file-server': { style: 'rounded,filled', line: '#3f8624', fill: '#f7fbf2' },
};

const EDGE_LOOKS: Record<EdgeKind, string> = {
  request: 'color="#232f3e"',
  route: 'color="#8c4fff"',
  forward: 'color="#8c4fff", style=dashed',
  vpn: 'color="#8c4fff", style=bold',
  // The way out does not rank the picture: the NAT gateways stay with their subnets.
  egress: 'color="#7f7f7f", style=dotted, constraint=false',
  mount: 'color="#3f8624"',
  data: 'color="#3b48cc"',
  replication: 'color="#3b48cc", style=dashed, dir=both',
  release: 'color="#ed7100", style=bold',
};

/** The diagram as DOT, laid out left to right: outside world, edge, network, data. */
export function dotSource(diagram: Diagram): string {
  const lines = [
    `digraph ${quote(diagram.name)} {`,
    `  graph [label=${quote(diagram.title)}, labelloc=t, fontsize=16, fontname=${quote(FONT)}, rankdir=LR, compound=true, nodesep=0.3, ranksep=0.7, pad=0.3];`,
    `  node [fontname=${quote(FONT)}, fontsize=10, style="rounded,filled", margin="0.15,0.07"];`,
    `  edge [fontname=${quote(FONT)}, fontsize=9, arrowsize=0.7];`,
  ];
  const childrenOf = (parent: string | undefined) => diagram.groups.filter((group) => group.parent === parent);
  const nodesOf = (group: string | undefined) => diagram.nodes.filter((node) => node.group === group);

  const writeGroup = (group: DiagramGroup, indent: string): void => {
    const look = GROUP_LOOKS[group.kind];
    lines.push(`${indent}subgraph ${quote(clusterId(group.id))} {`);
    lines.push(
      `${indent}  graph [label=${quote(group.label)}, style=${quote(look.style)}, color=${quote(look.line)}, fillcolor=${quote(look.fill)}, fontsize=11, labeljust=l];`,
    );
    for (const node of nodesOf(group.id)) lines.push(`${indent}  ${nodeLine(node)}`);
    for (const child of childrenOf(group.id)) writeGroup(child, `${indent}  `);
    lines.push(`${indent}}`);
  };

  for (const node of nodesOf(undefined)) lines.push(`  ${nodeLine(node)}`);
  for (const group of childrenOf(undefined)) writeGroup(group, '  ');

  for (const edge of diagram.edges) {
    const from = endpoint(diagram, edge.from);
    const to = endpoint(diagram, edge.to);
    const attributes = [EDGE_LOOKS[edge.kind]];
    if (edge.label) attributes.push(`label=${quote(edge.label)}`);
    if (from.cluster) attributes.push(`ltail=${quote(from.cluster)}`);
    if (to.cluster) attributes.push(`lhead=${quote(to.cluster)}`);
    lines.push(`  ${quote(from.node)} -> ${quote(to.node)} [${attributes.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function nodeLine(node: DiagramNode): string {
  const look = NODE_LOOKS[node.kind];
  const label = node.label.map(escapeDot).join('\\n');
  return `${quote(node.id)} [label="${label}", shape=${look.shape}, fillcolor=${quote(look.fill)}, color=${quote(look.line)}, tooltip=${quote(node.source)}, class=${quote(`kind-${node.kind}`)}];`;
}

/** An edge end: a node, or for a group its first node with the group's frame as the end. */
function endpoint(diagram: Diagram, id: string): { node: string; cluster?: string } {
  if (diagram.node(id)) return { node: id };
  const [first] = diagram.nodesWithin(id);
  if (!first) throw new Error(`diagram ${diagram.name}: an edge ends at the empty group ${id}`);
  return { node: first.id, cluster: clusterId(id) };
}

function clusterId(groupId: string): string {
  return `cluster_${groupId}`;
}

function escapeDot(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function quote(text: string): string {
  return `"${escapeDot(text)}"`;
}
