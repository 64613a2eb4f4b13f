// The connector's prebuild hook 05-register-internal-name.sh run for real: the metadata service
// (IMDSv2) and aws stubbed on PATH (see fixtures.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { internalNameHook, Sandbox, ZONE_ID_PARAMETER } from './fixtures.ts';

const TOKEN = 'AQAEAOeD9o6-imds-session-token==';
const ADDRESS = '10.0.101.23';
const ZONE = 'Z0123456789ABCDEFGHIJ';

const UPSERT = {
  Comment: 'storestack: the instance serving this name (prebuild hook 05-register-internal-name.sh)',
  Changes: [
    {
      Action: 'UPSERT',
      ResourceRecordSet: {
        Name: 'connector.internal-client.url',
        Type: 'A',
        TTL: 60,
        ResourceRecords: [{ Value: ADDRESS }],
      },
    },
  ],
};

describe('05-register-internal-name.sh', () => {
  let sandbox: Sandbox;

  beforeEach(() => {
    sandbox = new Sandbox();
    sandbox.setMetadata(TOKEN, { 'local-ipv4': ADDRESS });
    sandbox.setParameter(ZONE_ID_PARAMETER, `/hostedzone/${ZONE}`);
  });

  afterEach(() => {
    sandbox.remove();
  });

  function run() {
    return sandbox.run(internalNameHook(), { STORESTACK_IMDS_URL: 'http://imds.test' });
  }

  it("UPSERTs the A record connector.<internal domain> -> the instance's private address, TTL 60, and waits for it", async () => {
    const result = await run();

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(sandbox.route53Changes()).toEqual([{ zone: ZONE, batch: UPSERT }]);
    expect(sandbox.callsOf('aws')).toContain(
      'aws route53 wait resource-record-sets-changed --region eu-west-3 --id /change/C0123456789ABCDEFGHIJ',
    );
    expect(result.stdout).toContain(`connector.internal-client.url -> ${ADDRESS}`);
  });

  it('asks IMDSv2 for a token first, and never puts the token on a command line', async () => {
    expect((await run()).status).toBe(0);

    const curls = sandbox.callsOf('curl');
    expect(curls).toHaveLength(2);
    expect(curls[0]).toContain('--request PUT');
    expect(curls[0]).toContain('http://imds.test/latest/api/token');
    expect(curls[1]).toContain('--header @- http://imds.test/latest/meta-data/local-ipv4');
    expect(sandbox.callLog()).not.toContain(TOKEN);
  });

  it('is idempotent: a second run sends the same UPSERT and succeeds', async () => {
    expect((await run()).status).toBe(0);
    expect((await run()).status).toBe(0);

    expect(sandbox.route53Changes()).toEqual([
      { zone: ZONE, batch: UPSERT },
      { zone: ZONE, batch: UPSERT },
    ]);
  });

  it('fails naming the parameter when the zone id cannot be read, and changes nothing', async () => {
    sandbox.removeParameter(ZONE_ID_PARAMETER);

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`cannot read the SSM parameter ${ZONE_ID_PARAMETER}`);
    expect(sandbox.route53Changes()).toEqual([]);
  });

  it('fails when the metadata service gives no address, and changes nothing', async () => {
    sandbox.setMetadata(TOKEN, { 'local-ipv4': '<html>not found</html>' });

    const result = await run();

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('not an IPv4 address');
    expect(sandbox.route53Changes()).toEqual([]);
  });
});
