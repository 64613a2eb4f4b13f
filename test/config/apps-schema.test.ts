// The satellite applications, the Windows instance and the HAProxy gateways in config.
import { describe, expect, it } from 'vitest';
import { parsePlatform } from '../../src/config/load.ts';
import { problemsOf, sample } from './support.ts';

function gateway(input: ReturnType<typeof sample>, name: string) {
  const server = input.gateway.servers.find((candidate) => candidate.name === name);
  if (!server) throw new Error(`the sample has no gateway ${name}`);
  return server;
}

describe('gateway', () => {
  it('reads a single port as a range of one', () => {
    const platform = parsePlatform(sample(), 'test.json');
    const windows = platform.gateway.servers.find((server) => server.name === 'windows');
    expect(windows?.services.find((service) => service.name === 'rdp')?.ports).toEqual({ from: 3389, to: 3389 });
  });

  it('refuses overlapping forwarded port ranges on one gateway, naming both', () => {
    const input = sample();
    gateway(input, 'windows').services.push({ name: 'extra', ports: { from: 8790, to: 8810 } });
    expect(problemsOf(input)).toEqual([
      'gateway.servers[0].services[6].ports: 8790-8810 overlaps custom-app (8700-8800, gateway.servers[0].services[1]): a port is forwarded once per gateway',
    ]);
  });

  it('allows the same port on two gateways (the reason there are two)', () => {
    const input = sample();
    expect(gateway(input, 'windows').services.some((service) => service.ports.from === 21)).toBe(true);
    expect(gateway(input, 'ftp').services.some((service) => service.ports.from === 21)).toBe(true);
    expect(() => parsePlatform(input, 'test.json')).not.toThrow();
  });

  it.each([
    ['10.0.0.0/33', '10.0.0.0/33'],
    ['not-a-cidr', 'not-a-cidr'],
  ])('refuses the whitelist entry %s, naming its path', (entry, shown) => {
    const input = sample();
    input.gateway.whitelist = [entry];
    const [problem] = problemsOf(input);
    expect(problem).toMatch(new RegExp(`^gateway\\.whitelist\\[0\\]: ${shown.replace(/[./]/g, '\\$&')} `));
  });

  it('refuses a whitelist that opens the gateway to the internet', () => {
    const input = sample();
    input.gateway.whitelist = ['0.0.0.0/0'];
    expect(problemsOf(input)).toEqual([
      "gateway.whitelist[0]: 0.0.0.0/0 would open the gateway to the whole internet; list the client's addresses",
    ]);
  });

  it('refuses a range whose end is below its start', () => {
    const input = sample();
    gateway(input, 'ftp').services[1] = { name: 'ftp-passive', ports: { from: 4096, to: 2048 } };
    expect(problemsOf(input)).toContain('gateway.servers[1].services[1].ports.to: to must not be below from');
  });

  it('refuses a duplicate gateway name', () => {
    const input = sample();
    gateway(input, 'ftp').name = 'windows';
    expect(problemsOf(input)).toContain('gateway.servers[1].name: windows is already the name of gateway.servers[0]');
  });
});

describe('apps.connector.ftp', () => {
  it('refuses a passive range outside the ports its gateway forwards', () => {
    const input = sample();
    input.apps.connector.ftp.passivePorts = { from: 2048, to: 5000 };
    expect(problemsOf(input)).toEqual([
      'apps.connector.ftp.passivePorts: 2048-5000 is not within the ports gateway ftp forwards (21, 2048-4096): passive transfers would hang',
    ]);
  });

  it('accepts a passive range forwarded by two adjacent services', () => {
    const input = sample();
    gateway(input, 'ftp').services = [
      { name: 'ftp', ports: { from: 21 } },
      { name: 'passive-a', ports: { from: 2048, to: 3000 } },
      { name: 'passive-b', ports: { from: 3001, to: 4096 } },
    ];
    expect(() => parsePlatform(input, 'test.json')).not.toThrow();
  });

  it('requires a gateway to the connector that forwards port 21', () => {
    const input = sample();
    gateway(input, 'ftp').services = [{ name: 'ftp-passive', ports: { from: 2048, to: 4096 } }];
    expect(problemsOf(input)).toEqual([
      "gateway.servers[1].services: gateway ftp forwards to the connector but not FTP's port 21",
    ]);
  });

  it('requires a gateway to the connector at all', () => {
    const input = sample();
    input.gateway.servers = input.gateway.servers.filter((server) => server.backend !== 'connector');
    expect(problemsOf(input)).toEqual([
      'gateway.servers: no gateway forwards to the connector: its FTP server is reachable from the internet only through one',
    ]);
  });
});

describe('apps', () => {
  it('requires the apps host names to be covered by the certificate', () => {
    const input = sample();
    input.apps.pim.hostName = 'pim.other.example';
    expect(problemsOf(input)).toEqual([
      'apps.pim.hostName: pim.other.example is not covered by the certificate (certificate.coveredNames: *.client.url, client.url); a wildcard covers one label only',
    ]);
  });

  it('refuses a cron command cron would split at "%"', () => {
    const input = sample();
    input.apps.mirakl.cron = [{ schedule: '0 * * * *', command: 'date +%F >> /tmp/x' }];
    const [problem] = problemsOf(input);
    expect(problem).toMatch(/^apps\.mirakl\.cron\[0\]\.command: .* must be one line without "%"/);
  });

  it('refuses a cron schedule without five fields', () => {
    const input = sample();
    input.apps.mirakl.cron = [{ schedule: '*/10 * * *', command: 'php bin/console x' }];
    expect(problemsOf(input)).toEqual([
      'apps.mirakl.cron[0].schedule: */10 * * * is not a cron schedule of five fields such as "*/10 * * * *"',
    ]);
  });
});

describe('windows', () => {
  it('requires exactly the two extra volumes of the document', () => {
    const input = sample();
    input.windows.volumes = [{ sizeGiB: 100 }];
    expect(problemsOf(input)).toEqual([
      'windows.volumes: the document gives the Windows instance exactly two extra volumes',
    ]);
  });

  it('requires a pinned AMI id', () => {
    const input = sample();
    input.windows.amiId = 'latest';
    expect(problemsOf(input)).toEqual(['windows.amiId: latest is not an AMI id such as ami-0123456789abcdef0']);
  });
});
