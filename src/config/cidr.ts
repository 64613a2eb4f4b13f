// IPv4 CIDR arithmetic for the configuration's cross-field rules. Kept free of
// aws-cdk-lib so the CLI can validate a config without loading the CDK.

export interface Ipv4Cidr {
  /** The CIDR as written, e.g. `10.0.1.0/24`. */
  readonly text: string;
  /** First address of the block, as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(0|[1-9]\d?)$/;
const IP_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

type OctetsResult = { ok: true; value: number } | { ok: false; reason: string };

function octetsToInt(octets: readonly string[]): OctetsResult {
  let value = 0;
  for (const octet of octets) {
    // 010 is ambiguous: octal to some tools, decimal to others.
    if (octet.length > 1 && octet.startsWith('0'))
      return { ok: false, reason: `has an octet with a leading zero (${octet})` };
    const n = Number(octet);
    if (n > 255) return { ok: false, reason: 'has an address octet outside 0-255' };
    value = value * 256 + n;
  }
  return { ok: true, value };
}

function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** Parses an IPv4 address; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const match = IP_PATTERN.exec(text);
  const octets = match ? octetsToInt(match.slice(1, 5)) : undefined;
  return octets?.ok ? octets.value : undefined;
}

export type CidrParseResult = { ok: true; cidr: Ipv4Cidr } | { ok: false; reason: string };

/**
 * Parses `a.b.c.d/n`. Rejects host bits (`10.0.1.5/24`): AWS would silently
 * keep or reject them depending on the service, so the config must say what it means.
 */
export function parseCidr(text: string): CidrParseResult {
  if (/\/0\d$/.test(text)) return { ok: false, reason: 'has a prefix length with a leading zero' };
  const match = CIDR_PATTERN.exec(text);
  if (!match) return { ok: false, reason: 'is not an IPv4 CIDR block (expected a.b.c.d/n)' };
  const octets = octetsToInt(match.slice(1, 5));
  const prefix = Number(match[5]);
  if (!octets.ok) return octets;
  const address = octets.value;
  if (prefix > 32) return { ok: false, reason: 'has a prefix length above 32' };
  const size = blockSize(prefix);
  const network = Math.floor(address / size) * size;
  if (network !== address) {
    return { ok: false, reason: `has host bits set (the block is ${intToIp(network)}/${prefix})` };
  }
  return { ok: true, cidr: { text, network, prefix } };
}

/** Parses a CIDR that is known to be valid (already checked by the schema). */
export function cidr(text: string): Ipv4Cidr {
  const result = parseCidr(text);
  if (!result.ok) throw new Error(`${text} ${result.reason}`);
  return result.cidr;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.network >= outer.network &&
    inner.network + blockSize(inner.prefix) <= outer.network + blockSize(outer.prefix)
  );
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + blockSize(b.prefix) && b.network < a.network + blockSize(a.prefix);
}

function inRanges(address: number, ranges: readonly string[]): string | undefined {
  return ranges.find((range) => cidrContains(cidr(range), { text: '', network: address, prefix: 32 }));
}

/** True when the address lies in one of RFC 1918's private ranges. */
export function isPrivateAddress(address: number): boolean {
  return inRanges(address, ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']) !== undefined;
}

/** Ranges that are never a host's address on the internet, with what they are. */
const NON_PUBLIC_RANGES: Readonly<Record<string, string>> = {
  '0.0.0.0/8': '"this network" (RFC 1122)',
  '10.0.0.0/8': 'a private (RFC 1918) address',
  '100.64.0.0/10': 'a carrier-grade NAT (RFC 6598) address',
  '127.0.0.0/8': 'a loopback address',
  '169.254.0.0/16': 'a link-local address',
  '172.16.0.0/12': 'a private (RFC 1918) address',
  '192.168.0.0/16': 'a private (RFC 1918) address',
  '224.0.0.0/4': 'a multicast address',
  '240.0.0.0/4': 'a reserved address',
};

/** Why the address cannot be a host's public address, or undefined when it can. */
export function nonPublicReason(address: number): string | undefined {
  const range = inRanges(address, Object.keys(NON_PUBLIC_RANGES));
  return range ? NON_PUBLIC_RANGES[range] : undefined;
}
