import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  GetParameterCommand,
  ParameterNotFound,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderMakeConfig, renderRevokeClient } from '../../src/assets/openvpn/render.ts';
import { VpnCommand } from '../../src/cli/commands/vpn.ts';
import { main } from '../../src/cli/main.ts';
import { MemoryOutput } from '../../src/cli/output.ts';
import { OpenVpnSandbox, PROPS, warnIfMissing } from '../assets/openvpn/fixtures.ts';
import { PROJECT_ROOT } from '../support.ts';
import { ssmOperations } from './ssm-operations.ts';

const ssm = mockClient(SSMClient);

const VPN = 'i-0e5000000000000e5';
const VPN_PARAMETER = '/storestack/instances/vpn/id';

/** What the OpenVPN server answers to a script: run it (the sandbox), or a canned reply. */
type Server = (script: string) => Partial<GetCommandInvocationCommandOutput>;

let server: Server;
/** Every call to AWS, in order. */
let calls: string[];
const regions: string[] = [];
let parameterMissing: boolean;
let out: string;

beforeEach(() => {
  calls = [];
  regions.length = 0;
  parameterMissing = false;
  out = mkdtempSync(join(tmpdir(), 'storestack-vpn-out-'));
  const invocations = new Map<string, Partial<GetCommandInvocationCommandOutput>>();
  ssm.on(GetParameterCommand).callsFake((input) => {
    calls.push(`GetParameter ${input.Name}`);
    if (parameterMissing) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
    return { Parameter: { Name: input.Name, Value: VPN } };
  });
  ssm.on(DescribeInstanceInformationCommand).callsFake((input) => {
    calls.push(`DescribeInstanceInformation ${input.Filters[0].Values[0]}`);
    return { InstanceInformationList: [{ InstanceId: VPN, IPAddress: '10.0.1.9' }] };
  });
  ssm.on(SendCommandCommand).callsFake((input) => {
    calls.push(`SendCommand ${input.InstanceIds[0]}`);
    const commandId = `command-${invocations.size + 1}`;
    invocations.set(commandId, server(input.Parameters.commands.join('\n')));
    return { Command: { CommandId: commandId } };
  });
  ssm.on(GetCommandInvocationCommand).callsFake((input) => {
    calls.push(`GetCommandInvocation ${input.InstanceId}`);
    return { StandardOutputContent: '', StandardErrorContent: '', ...invocations.get(input.CommandId) };
  });
});

afterEach(() => {
  ssm.reset();
  rmSync(out, { recursive: true, force: true });
});

const factory = ssmOperations(regions, { beanstalk: false });

async function storestack(args: string[]) {
  const output = new MemoryOutput();
  const context = { output, projectRoot: PROJECT_ROOT };
  const code = await main(args, context, [new VpnCommand(context, factory)]);
  return { code, stdout: output.stdout, stderr: output.stderr, lines: output.lines };
}

/** The scripts sent, without the runner's `set -euo pipefail`. */
function scripts(): (string | undefined)[] {
  return ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input.Parameters?.commands?.[1]);
}

/** The script that reads a file back (one part: what these files fit in). */
function readScript(file: string): string {
  return `out="$(mktemp /tmp/storestack-output.XXXXXXXXXX)"
keep=0
trap 'if [ "$keep" = 0 ]; then rm -f -- "$out"; fi' EXIT
{
cat -- ${file}
} >"$out"
size="$(stat -c %s -- "$out")"
printf '%s %s\\n' "$out" "$size"
dd if="$out" bs=16384 count=1 status=none | base64 -w 0
if [ "$size" -gt 16384 ]; then keep=1; fi`;
}

/** What the read script prints for `content`. */
function readBack(content: string): Partial<GetCommandInvocationCommandOutput> {
  const bytes = Buffer.from(content);
  return {
    Status: 'Success',
    ResponseCode: 0,
    StandardOutputContent: `/tmp/storestack-output.Ab12Cd34Ef ${bytes.length}\n${bytes.toString('base64')}`,
  };
}

const ISSUED: Partial<GetCommandInvocationCommandOutput> = {
  Status: 'Success',
  ResponseCode: 0,
  StandardOutputContent:
    'storestack-openvpn: saved the PKI state to s3://storestack-state/openvpn/pki.tar.gz\n' +
    'storestack-openvpn: issued a certificate to alice; profile: /root/client-configs/files/alice.ovpn\n',
};

/** A profile as make_config.sh writes it (the PEM blocks shortened). */
function profileOf(user: string): string {
  return [
    `# OpenVPN profile of ${user}, made by storestack's make_config.sh on 2025-06-15T13:33:00Z.`,
    `# It holds ${user}'s private key: keep it to yourself.`,
    'client',
    'dev tun',
    'remote 203.0.113.10 1194',
    '<ca>',
    '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    '</ca>',
    '<cert>',
    '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----',
    '</cert>',
    '<key>',
    '-----BEGIN PRIVATE KEY-----\nMIGk\n-----END PRIVATE KEY-----',
    '</key>',
    '<tls-crypt>',
    '-----BEGIN OpenVPN Static key V1-----\n0123\n-----END OpenVPN Static key V1-----',
    '</tls-crypt>',
    '',
  ].join('\n');
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

describe('storestack vpn add-client', () => {
  it('runs make_config.sh <user> on the OpenVPN server, reads the profile back and saves it with mode 600', async () => {
    const profile = profileOf('alice');
    server = (script) => (script.includes('make_config.sh') ? ISSUED : readBack(profile));

    const { code, stdout, stderr } = await storestack(['vpn', 'add-client', 'alice', '--out', out]);

    expect(code, stderr).toBe(0);
    const file = join(out, 'alice.ovpn');
    expect(readFileSync(file, 'utf8')).toBe(profile);
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(out)).toEqual(['alice.ovpn']);
    expect(stdout).toBe(`${file}: alice's OpenVPN profile (mode 600, holds the private key)`);
    expect(stderr).toBe(ISSUED.StandardOutputContent?.trimEnd());
    expect(regions).toEqual(['eu-west-3']);
    expect(calls).toEqual([
      `GetParameter ${VPN_PARAMETER}`,
      `SendCommand ${VPN}`,
      `GetCommandInvocation ${VPN}`,
      `SendCommand ${VPN}`,
      `GetCommandInvocation ${VPN}`,
    ]);
    const sent = ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input);
    expect(sent.map((input) => [input.DocumentName, input.InstanceIds])).toEqual([
      ['AWS-RunShellScript', [VPN]],
      ['AWS-RunShellScript', [VPN]],
    ]);
    expect(scripts()).toEqual([
      "/root/client-configs/make_config.sh 'alice'",
      readScript("'/root/client-configs/files/alice.ovpn'"),
    ]);
  });

  it("shows make_config.sh's refusal when the user already has a certificate", async () => {
    server = () => ({
      Status: 'Failed',
      ResponseCode: 1,
      StandardErrorContent:
        'storestack-openvpn: ERROR: alice already has a certificate: revoke it first (/root/client-configs/revoke_client.sh alice)\n',
    });

    const { code, stderr } = await storestack(['vpn', 'add-client', 'alice', '--out', out]);

    expect(code).toBe(1);
    expect(stderr).toBe(
      `make_config.sh issued no certificate to alice on the OpenVPN server ${VPN} (10.0.1.9): alice already has a certificate: revoke it first (/root/client-configs/revoke_client.sh alice)`,
    );
    expect(scripts()).toHaveLength(1);
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses a profile that SSM cut short, and saves nothing', async () => {
    const whole = readBack(profileOf('alice'));
    server = (script) =>
      script.includes('make_config.sh')
        ? ISSUED
        : { ...whole, StandardOutputContent: whole.StandardOutputContent?.slice(0, 400) };

    const { code, stderr } = await storestack(['vpn', 'add-client', 'alice', '--out', out]);

    expect(code).toBe(1);
    const message = stderr.split('\n').slice(2);
    expect(message[0]).toMatch(
      /^alice's certificate was issued, but its profile could not be read back: "storestack vpn add-client alice: read the profile" on i-0e5000000000000e5: part 1 came back with 362 of its 672 base64 characters \(SSM output cut short\?\)$/,
    );
    expect(message[1]).toBe(
      `The profile is on the OpenVPN server ${VPN} (10.0.1.9) at /root/client-configs/files/alice.ovpn: copy it through an SSM session (aws ssm start-session --target ${VPN}), or revoke the certificate (/root/client-configs/revoke_client.sh alice) and add the client again.`,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses a profile without its end (the file on the server is truncated), and saves nothing', async () => {
    const truncated = profileOf('alice').split('<tls-crypt>')[0] as string;
    server = (script) => (script.includes('make_config.sh') ? ISSUED : readBack(truncated));

    const { code, stderr } = await storestack(['vpn', 'add-client', 'alice', '--out', out]);

    expect(code).toBe(1);
    expect(stderr).toContain(
      "alice's certificate was issued, but the profile read back is unusable: it has no <tls-crypt> block\nThe profile is on the OpenVPN server",
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses to overwrite a profile saved before, before issuing anything; --force overwrites it with mode 600', async () => {
    const file = join(out, 'alice.ovpn');
    writeFileSync(file, 'an older profile\n', { mode: 0o644 });
    server = (script) => (script.includes('make_config.sh') ? ISSUED : readBack(profileOf('alice')));

    const refused = await storestack(['vpn', 'add-client', 'alice', '--out', out]);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`${file} exists: remove it, or pass --force to overwrite it`);
    expect(regions).toEqual([]);

    const forced = await storestack(['vpn', 'add-client', 'alice', '--out', out, '--force', '--json']);

    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ user: 'alice', file, instanceId: VPN });
    expect(readFileSync(file, 'utf8')).toBe(profileOf('alice'));
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(out)).toEqual(['alice.ovpn']);
  });

  it.each([
    ['-alice', "username '-alice' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"],
    ['al ice', "username 'al ice' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"],
    ["a'b", "username 'a'b' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"],
    [
      'a'.repeat(65),
      `username '${'a'.repeat(65)}' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    ],
    ['server', "username 'server' is reserved"],
    ['ca', "username 'ca' is reserved"],
  ])('refuses the user name %j as make_config.sh does, before calling AWS', async (user, message) => {
    // `--`: a name that starts with '-' would be read as an option otherwise.
    const { code, stderr } = await storestack(['vpn', 'add-client', '--out', out, '--', user]);

    expect(code).toBe(2);
    expect(stderr).toBe(message);
    expect(regions).toEqual([]);
  });

  it("checks user names with make_config.sh's own pattern, and looks where its scripts write", () => {
    const makeConfig = renderMakeConfig(PROPS);
    // The lines of the rendered scripts the command's constants mirror.
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: bash, not templates.
    const lines = [
      '[[ ${name} =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] ||',
      '[[ ${name} != "${SERVER_NAME}" && ${name} != ca ]] || fail "username \'${name}\' is reserved"',
      "readonly SERVER_NAME='server'",
      'readonly EASYRSA_DIR="${STORESTACK_OPENVPN_EASYRSA_DIR:-/etc/openvpn/easy-rsa}"',
      'readonly CLIENT_DIR="${STORESTACK_OPENVPN_CLIENT_DIR:-/root/client-configs}"',
      'readonly PROFILE_DIR="${CLIENT_DIR}/files"',
      'profile_file="${PROFILE_DIR}/${name}.ovpn"',
    ];
    for (const line of lines) expect(makeConfig.split('\n').map((text) => text.trim())).toContain(line);
    expect(renderRevokeClient(PROPS)).toContain('rm -f -- "${PROFILE_DIR}/${name}.ovpn"');
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: bash, not templates.
  });

  it('fails saying which parameter is missing when the Ops stack has not published the server', async () => {
    parameterMissing = true;

    const { code, stderr } = await storestack(['vpn', 'add-client', 'alice', '--out', out]);

    expect(code).toBe(1);
    expect(stderr).toBe(
      `reading the OpenVPN server's instance id (SSM parameter ${VPN_PARAMETER}) failed: SSM parameter ${VPN_PARAMETER} does not exist: is the stack that publishes it deployed?`,
    );
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
  });
});

describe('storestack vpn list', () => {
  const INDEX = [
    'V\t351123130738Z\t\tE1959F6252350B342A826220E0E7C854\tunknown\t/CN=server',
    'V\t290228130739Z\t\tCF15E8DF834BB823AA47B1E7D41EF28D\tunknown\t/CN=alice',
    'R\t290228130740Z\t250301090000Z,keyCompromise\tA896C77D7520CC542D3CCAC4FD9D5D2C\tunknown\t/CN=bob',
    'V\t200101000000Z\t\t01\tunknown\t/CN=carol',
    'E\t210101000000Z\t\t02\tunknown\t/CN=dave',
    'V\t20550101120000Z\t\t03\tunknown\t/CN=erin/emailAddress=erin@client.url',
    '',
  ].join('\n');

  it("lists the clients of easy-rsa's index with their state and expiry, without the server", async () => {
    server = () => readBack(INDEX);

    const { code, lines, stderr } = await storestack(['vpn', 'list']);

    expect(code, stderr).toBe(0);
    expect(lines).toEqual([
      'USER   STATE    EXPIRES',
      '-----  -------  --------------------',
      'alice  valid    2029-02-28T13:07:39Z',
      'bob    revoked  2029-02-28T13:07:40Z',
      'carol  expired  2020-01-01T00:00:00Z',
      'dave   expired  2021-01-01T00:00:00Z',
      'erin   valid    2055-01-01T12:00:00Z',
    ]);
    expect(calls).toEqual([`GetParameter ${VPN_PARAMETER}`, `SendCommand ${VPN}`, `GetCommandInvocation ${VPN}`]);
    expect(scripts()).toEqual([readScript('/etc/openvpn/easy-rsa/pki/index.txt')]);
  });

  it('prints [{user, state, expires}] with --json', async () => {
    server = () => readBack(INDEX);

    const { code, stdout } = await storestack(['vpn', 'list', '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      { user: 'alice', state: 'valid', expires: '2029-02-28T13:07:39Z' },
      { user: 'bob', state: 'revoked', expires: '2029-02-28T13:07:40Z' },
      { user: 'carol', state: 'expired', expires: '2020-01-01T00:00:00Z' },
      { user: 'dave', state: 'expired', expires: '2021-01-01T00:00:00Z' },
      { user: 'erin', state: 'valid', expires: '2055-01-01T12:00:00Z' },
    ]);
  });

  it('says so when only the server has a certificate', async () => {
    server = () => readBack(`${INDEX.split('\n')[0] as string}\n`);

    const { code, stdout } = await storestack(['vpn', 'list']);

    expect(code).toBe(0);
    expect(stdout).toBe('no client certificate has been issued');
  });

  it('fails naming the server when the index cannot be read', async () => {
    server = () => ({
      Status: 'Failed',
      ResponseCode: 1,
      StandardErrorContent: 'cat: /etc/openvpn/easy-rsa/pki/index.txt: No such file or directory\n',
    });

    const { code, stderr } = await storestack(['vpn', 'list']);

    expect(code).toBe(1);
    expect(stderr).toBe(
      `could not read /etc/openvpn/easy-rsa/pki/index.txt on the OpenVPN server ${VPN} (10.0.1.9): "storestack vpn list: read the easy-rsa index" failed on ${VPN}: Failed, exit code 1\ncat: /etc/openvpn/easy-rsa/pki/index.txt: No such file or directory`,
    );
  });
});

// The same commands against the real scripts: the server is a sandbox where the rendered
// make_config.sh and revoke_client.sh run with the real easy-rsa, and every script SSM receives
// runs there with bash, its paths moved into the sandbox.
describe.skipIf(warnIfMissing('the vpn commands against the real OpenVPN scripts'))(
  'storestack vpn against the real OpenVPN scripts',
  () => {
    let sandbox: OpenVpnSandbox;
    /** The files the read scripts wrote their output to, on the "instance". */
    const outputFiles: string[] = [];

    beforeAll(async () => {
      sandbox = new OpenVpnSandbox();
      const setup = await sandbox.setup();
      if (setup.status !== 0) throw new Error(`the OpenVPN set-up failed: ${setup.stderr}`);
    });

    afterAll(() => {
      sandbox.remove();
    });

    beforeEach(() => {
      server = (script) => {
        const moved = script
          .replaceAll('/root/client-configs', sandbox.clientDir)
          .replaceAll('/etc/openvpn/easy-rsa', sandbox.easyRsaDir);
        const result = spawnSync('bash', ['-c', moved], {
          encoding: 'utf8',
          env: {
            ...process.env,
            ...sandbox.env(),
            PATH: `${sandbox.bin}:${process.env.PATH}`,
            STUB_LOG: sandbox.log,
            STUB_STATE: sandbox.state,
          },
        });
        const file = /^(\/tmp\/storestack-output\.\w+) \d+\n/.exec(result.stdout)?.[1];
        if (file) outputFiles.push(file);
        return {
          Status: result.status === 0 ? 'Success' : 'Failed',
          ResponseCode: result.status ?? -1,
          StandardOutputContent: result.stdout.slice(0, 24_000),
          StandardErrorContent: result.stderr,
        };
      };
    });

    it('issues certificates, saves the profiles, refuses a second one and lists them', async () => {
      const alice = await storestack(['vpn', 'add-client', 'alice', '--out', out]);
      expect(alice.code, alice.stderr).toBe(0);
      const file = join(out, 'alice.ovpn');
      expect(readFileSync(file, 'utf8')).toBe(sandbox.profile('alice'));
      expect(mode(file)).toBe(0o600);
      expect(alice.stderr).toContain('storestack-openvpn: issued a certificate to alice; profile: ');

      const again = await storestack(['vpn', 'add-client', 'alice', '--out', join(out, 'again')]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(
        /^make_config\.sh issued no certificate to alice on the OpenVPN server i-0e5000000000000e5 \(10\.0\.1\.9\): alice already has a certificate: revoke it first \(.*\/revoke_client\.sh alice\)$/,
      );
      expect(existsSync(join(out, 'again', 'alice.ovpn'))).toBe(false);

      expect((await storestack(['vpn', 'add-client', 'bob.smith', '--out', out])).code).toBe(0);
      expect((await sandbox.client('revoke_client.sh', 'bob.smith')).status).toBe(0);

      const list = await storestack(['vpn', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const clients = JSON.parse(list.stdout) as { user: string; state: string; expires: string }[];
      expect(clients.map(({ user, state }) => [user, state])).toEqual([
        ['alice', 'valid'],
        ['bob.smith', 'revoked'],
      ]);
      // make_config.sh issues client certificates for 825 days.
      const days = (Date.parse(clients[0]?.expires ?? '') - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(824);
      expect(days).toBeLessThanOrEqual(825);
      // Two profiles and the index were read, and no file of theirs is left on the "instance".
      expect(outputFiles).toHaveLength(3);
      expect(outputFiles.filter((file) => existsSync(file))).toEqual([]);
    });
  },
);
