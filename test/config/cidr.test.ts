import { describe, expect, it } from 'vitest';
import { cidr, cidrContains, cidrsOverlap, isPrivateAddress, parseCidr, parseIpv4 } from '../../src/config/cidr.ts';

/** The address as an unsigned 32-bit integer; fails the test when it is not one. */
function ip(text: string): number {
  const address = parseIpv4(text);
  if (address === undefined) throw new Error(`test setup: ${text} is not an IPv4 address`);
  return address;
}

function reasonOf(text: string): string {
  const result = parseCidr(text);
  if (result.ok) throw new Error(`expected ${text} to be rejected, but it parsed`);
  return result.reason;
}

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/16', 10 * 2 ** 24, 16],
    ['10.0.101.0/24', 10 * 2 ** 24 + 101 * 2 ** 8, 24],
    ['192.168.10.0/24', 192 * 2 ** 24 + 168 * 2 ** 16 + 10 * 2 ** 8, 24],
    ['0.0.0.0/0', 0, 0],
    ['255.255.255.255/32', 2 ** 32 - 1, 32],
    ['203.0.113.0/28', 203 * 2 ** 24 + 113 * 2 ** 8, 28],
    ['128.0.0.0/1', 2 ** 31, 1],
  ])('accepts %s as the block starting at %i with prefix %i', (text, network, prefix) => {
    expect(parseCidr(text)).toEqual({ ok: true, cidr: { text, network, prefix } });
  });

  it.each([
    '',
    '10.0.0.0',
    '10.0.0/8',
    '10.0.0.0.0/8',
    'ten.0.0.0/8',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/8 ',
    ' 10.0.0.0/8',
    '10.0.0.0/8\n',
    '10.0.0.0 /8',
    '10.0.0.0/8/8',
    '10.0.0.0/100',
    '1000.0.0.0/8',
    '::/0',
    '2001:db8::/32',
  ])('rejects %j as not a CIDR block', (text) => {
    expect(reasonOf(text)).toBe('is not an IPv4 CIDR block (expected a.b.c.d/n)');
  });

  it.each(['256.0.0.0/8', '10.256.0.0/16', '10.0.0.300/32', '999.999.999.999/32'])(
    'rejects %s, whose octet exceeds 255',
    (text) => {
      expect(reasonOf(text)).toBe('has an address octet outside 0-255');
    },
  );

  it.each(['10.0.0.0/33', '0.0.0.0/99'])('rejects %s, whose prefix exceeds 32', (text) => {
    expect(reasonOf(text)).toBe('has a prefix length above 32');
  });

  it.each(['010.0.0.0/8', '10.00.0.0/16', '10.0.01.0/24', '192.168.1.00/32'])(
    'rejects %s, which has an octet with a leading zero (octal to some tools)',
    (text) => {
      expect(reasonOf(text)).toMatch(/^has an octet with a leading zero \(0\d+\)$/);
    },
  );

  it.each([
    ['10.0.1.5/24', '10.0.1.0/24'],
    ['10.0.0.1/31', '10.0.0.0/31'],
    ['192.168.10.1/16', '192.168.0.0/16'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['1.2.3.4/0', '0.0.0.0/0'],
    ['255.255.255.255/1', '128.0.0.0/1'],
  ])('rejects %s, which has host bits set, naming the real block %s', (text, block) => {
    expect(reasonOf(text)).toBe(`has host bits set (the block is ${block})`);
  });

  it('keeps the text as written', () => {
    const result = parseCidr('10.0.0.0/16');
    expect(result.ok && result.cidr.text).toBe('10.0.0.0/16');
  });
});

describe('cidr', () => {
  it('returns the parsed block for valid text', () => {
    expect(cidr('10.0.0.0/16')).toEqual({ text: '10.0.0.0/16', network: ip('10.0.0.0'), prefix: 16 });
  });

  it('throws an error naming the text and the reason for invalid text', () => {
    expect(() => cidr('10.0.1.5/24')).toThrow('10.0.1.5/24 has host bits set (the block is 10.0.1.0/24)');
    expect(() => cidr('nonsense')).toThrow('nonsense is not an IPv4 CIDR block');
  });
});

describe('parseIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['10.0.0.1', 10 * 2 ** 24 + 1],
    ['203.0.113.10', 203 * 2 ** 24 + 113 * 2 ** 8 + 10],
    ['255.255.255.255', 2 ** 32 - 1],
  ])('parses %s as %i', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
  });

  it.each(['', '10.0.0', '10.0.0.0.1', '10.0.0.256', '10.0.0.01', '10.0.0.0/32', 'localhost', ' 10.0.0.1'])(
    'rejects %j',
    (text) => {
      expect(parseIpv4(text)).toBeUndefined();
    },
  );
});

describe('cidrContains', () => {
  const vpc = cidr('10.0.0.0/16');

  it('holds for the same block', () => {
    expect(cidrContains(vpc, cidr('10.0.0.0/16'))).toBe(true);
  });

  it('holds for the first and the last block inside', () => {
    expect(cidrContains(vpc, cidr('10.0.0.0/24'))).toBe(true);
    expect(cidrContains(vpc, cidr('10.0.255.0/24'))).toBe(true);
    expect(cidrContains(vpc, cidr('10.0.255.255/32'))).toBe(true);
  });

  it('does not hold for the block just outside either end', () => {
    expect(cidrContains(vpc, cidr('10.1.0.0/24'))).toBe(false);
    expect(cidrContains(vpc, cidr('9.255.255.0/24'))).toBe(false);
    expect(cidrContains(vpc, cidr('10.1.101.0/24'))).toBe(false);
  });

  it('does not hold when the inner block is larger than the outer one', () => {
    expect(cidrContains(vpc, cidr('10.0.0.0/8'))).toBe(false);
    expect(cidrContains(cidr('10.0.0.0/24'), vpc)).toBe(false);
  });

  it('holds for everything inside /0, which only /0 fits inside', () => {
    const all = cidr('0.0.0.0/0');
    expect(cidrContains(all, vpc)).toBe(true);
    expect(cidrContains(all, cidr('255.255.255.255/32'))).toBe(true);
    expect(cidrContains(all, all)).toBe(true);
    expect(cidrContains(vpc, all)).toBe(false);
  });
});

describe('cidrsOverlap', () => {
  it('holds for the same block', () => {
    expect(cidrsOverlap(cidr('10.0.1.0/24'), cidr('10.0.1.0/24'))).toBe(true);
  });

  it('does not hold for adjacent blocks, in either order', () => {
    const a = cidr('10.0.0.0/24');
    const b = cidr('10.0.1.0/24');
    expect(cidrsOverlap(a, b)).toBe(false);
    expect(cidrsOverlap(b, a)).toBe(false);
    expect(cidrsOverlap(cidr('10.0.0.0/25'), cidr('10.0.0.128/25'))).toBe(false);
  });

  it('holds when one block contains the other, in either order', () => {
    const outer = cidr('192.168.10.0/24');
    const inner = cidr('192.168.10.128/25');
    expect(cidrsOverlap(outer, inner)).toBe(true);
    expect(cidrsOverlap(inner, outer)).toBe(true);
  });

  it('holds at the last address of a block and not one past it', () => {
    const block = cidr('10.0.0.0/24');
    expect(cidrsOverlap(block, cidr('10.0.0.255/32'))).toBe(true);
    expect(cidrsOverlap(block, cidr('10.0.1.0/32'))).toBe(false);
  });

  it('holds between /0 and any block', () => {
    const all = cidr('0.0.0.0/0');
    expect(cidrsOverlap(all, cidr('255.255.255.255/32'))).toBe(true);
    expect(cidrsOverlap(cidr('0.0.0.0/32'), all)).toBe(true);
    expect(cidrsOverlap(all, all)).toBe(true);
  });

  it('does not hold for disjoint blocks far apart', () => {
    expect(cidrsOverlap(cidr('10.0.0.0/16'), cidr('192.168.10.0/24'))).toBe(false);
  });
});

describe('isPrivateAddress', () => {
  it.each([
    '10.0.0.0',
    '10.255.255.255',
    '172.16.0.0',
    '172.31.255.255',
    '192.168.0.0',
    '192.168.1.1',
    '192.168.255.255',
  ])('%s is private (RFC 1918)', (text) => {
    expect(isPrivateAddress(ip(text))).toBe(true);
  });

  it.each([
    '9.255.255.255',
    '11.0.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '8.8.8.8',
    '203.0.113.10',
    '198.51.100.20',
    '192.0.2.30',
  ])('%s is not private', (text) => {
    expect(isPrivateAddress(ip(text))).toBe(false);
  });
});

describe('leading zeros', () => {
  // `/08` would otherwise parse as /8, and `0.0.0.0/00` slip past the gateway's whole-internet guard.
  it('parseCidr rejects a prefix with a leading zero, as it does an octet', () => {
    expect(parseCidr('10.0.0.0/08').ok).toBe(false);
    expect(parseCidr('0.0.0.0/00').ok).toBe(false);
  });
});
