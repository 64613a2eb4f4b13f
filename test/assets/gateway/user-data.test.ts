// The gateway's user data: checked by bash -n and shellcheck, then run for real against a sandbox
// with the system commands stubbed on PATH (rpm, dnf, haproxy, systemctl, SELinux's tools).
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type HaproxyConfigProps,
  renderGatewayUserData,
  renderHaproxyConfig,
} from '../../../src/assets/gateway/render.ts';
import { PROJECT_ROOT } from '../../support.ts';
import { expectBashParses, expectShellcheckClean, scratchScripts } from '../lint.ts';
import { type RunResult, StubSandbox } from '../sandbox.ts';
import { DNF_STUB, RPM_STUB } from '../stubbed-commands.ts';

const SCRIPT_SOURCE = join(PROJECT_ROOT, 'src/assets/gateway/setup-gateway.sh');

const PROPS: HaproxyConfigProps = {
  whitelist: ['203.0.113.0/28'],
  backendHost: 'windows.internal-client.url',
  services: [
    { name: 'rdp', ports: { from: 3389 } },
    { name: 'custom-app', ports: { from: 8700, to: 8800 } },
  ],
};

describe('the gateway user data, checked by the real tools', () => {
  const written = scratchScripts('storestack-gateway-lint-');
  let rendered: string;

  beforeAll(() => {
    rendered = written('user-data.sh', renderGatewayUserData(PROPS));
  });

  it('parses with bash -n', () => {
    expectBashParses(rendered);
  });

  it.each([
    ['the rendered user data', () => rendered],
    ['setup-gateway.sh on its own', () => SCRIPT_SOURCE],
  ])('passes shellcheck at every severity: %s', (_name, file) => {
    expectShellcheckClean(file());
  });
});

// The real tools the script and the stubs use. Everything else on PATH is a stub.
const REAL_TOOLS = ['cat', 'chmod', 'grep', 'mkdir', 'mktemp', 'mv', 'rm'];

// Every stub appends "<name> <arguments>" to $STUB_LOG. State lives in $STUB_STATE: installed
// (packages), active (haproxy runs), refuses (haproxy -c rejects any configuration).
const STUBS: Record<string, string> = {
  rpm: RPM_STUB,
  dnf: DNF_STUB,
  haproxy: `
[[ $1 == -c && $2 == -f && -f $3 ]] || { echo "stub haproxy: unexpected arguments: $*" >&2; exit 4; }
if [[ -e $STUB_STATE/refuses ]]; then
  echo "[ALERT] config : parsing [$3:1] : unknown keyword" >&2
  exit 1
fi
echo 'Configuration file is valid'`,
  systemctl: `
case "$*" in
  'enable haproxy') ;;
  'is-active --quiet haproxy') [[ -e $STUB_STATE/active ]] ;;
  'reload-or-restart haproxy') : >"$STUB_STATE/active" ;;
  *) echo "stub systemctl: unexpected arguments: $*" >&2; exit 4 ;;
esac`,
};

class Sandbox extends StubSandbox {
  readonly config: string;

  constructor() {
    super({ prefix: 'storestack-gateway-', stubs: STUBS, realTools: REAL_TOOLS, stateFiles: ['installed'] });
    this.config = join(this.root, 'etc', 'haproxy', 'haproxy.cfg');
  }

  /** Puts SELinux's tools on PATH, reporting it enabled. */
  enableSelinux(): void {
    this.addStub('selinuxenabled', 'exit 0');
    this.addStub('setsebool', '');
  }

  /** Creates a state file (`active`, `refuses`). */
  set(flag: string): void {
    writeFileSync(join(this.state, flag), '');
  }

  unset(flag: string): void {
    rmSync(join(this.state, flag), { force: true });
  }

  /** The calls since the log was last cleared, then clears it. */
  takeCalls(): string[] {
    const calls = this.calls();
    this.clearCalls();
    return calls;
  }

  /** The files beside the live configuration: no candidate may be left behind. */
  configDirectory(): string[] {
    return readdirSync(join(this.root, 'etc', 'haproxy')).sort();
  }

  run(script: string): Promise<RunResult> {
    return this.execute('user-data.sh', script, { STORESTACK_HAPROXY_CFG: this.config });
  }
}

/** The candidate file the script passed to haproxy -c, from a call such as `haproxy -c -f <file>`. */
const CHECK_CALL = /^haproxy -c -f .*\/haproxy\.cfg\.[A-Za-z0-9]{6}$/;

describe('setup-gateway.sh with the system commands stubbed', () => {
  let sandbox: Sandbox;
  const script = renderGatewayUserData(PROPS);
  const config = renderHaproxyConfig(PROPS);

  beforeEach(() => {
    sandbox = new Sandbox();
  });

  afterEach(() => {
    sandbox.remove();
  });

  function expectSuccess(result: RunResult): void {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }

  it('on first boot installs haproxy, writes the checked configuration, enables and starts the service', async () => {
    expectSuccess(await sandbox.run(script));

    const calls = sandbox.calls();
    expect(calls).toHaveLength(5);
    expect(calls.slice(0, 2)).toEqual(['rpm -q --quiet haproxy', 'dnf install -y haproxy']);
    expect(calls[2]).toMatch(CHECK_CALL);
    expect(calls.slice(3)).toEqual([
      'systemctl enable haproxy',
      // The changed configuration needs no is-active: it is reloaded or started either way.
      'systemctl reload-or-restart haproxy',
    ]);
    expect(readFileSync(sandbox.config, 'utf8')).toBe(config);
    expect(statSync(sandbox.config).mode & 0o777).toBe(0o644);
    expect(sandbox.configDirectory()).toEqual(['haproxy.cfg']);
  });

  it('changes nothing when run again: no install, no reload of the running service', async () => {
    expectSuccess(await sandbox.run(script));
    sandbox.takeCalls();

    const again = await sandbox.run(script);

    expectSuccess(again);
    expect(sandbox.takeCalls().filter((call) => !CHECK_CALL.test(call))).toEqual([
      'rpm -q --quiet haproxy',
      'systemctl enable haproxy',
      'systemctl is-active --quiet haproxy',
    ]);
    expect(again.stdout).toContain('is up to date');
    expect(readFileSync(sandbox.config, 'utf8')).toBe(config);
    expect(sandbox.configDirectory()).toEqual(['haproxy.cfg']);
  });

  it('starts a stopped service even when the configuration is unchanged', async () => {
    expectSuccess(await sandbox.run(script));
    sandbox.unset('active');
    sandbox.takeCalls();

    expectSuccess(await sandbox.run(script));

    expect(sandbox.takeCalls()).toContain('systemctl reload-or-restart haproxy');
  });

  it('replaces a changed configuration and reloads the service', async () => {
    expectSuccess(await sandbox.run(script));
    sandbox.takeCalls();
    const wider: HaproxyConfigProps = { ...PROPS, whitelist: [...PROPS.whitelist, '198.51.100.64/27'] };

    expectSuccess(await sandbox.run(renderGatewayUserData(wider)));

    expect(readFileSync(sandbox.config, 'utf8')).toBe(renderHaproxyConfig(wider));
    expect(sandbox.takeCalls()).toContain('systemctl reload-or-restart haproxy');
    expect(sandbox.configDirectory()).toEqual(['haproxy.cfg']);
  });

  it('keeps the live configuration and the running service when haproxy refuses the new one', async () => {
    expectSuccess(await sandbox.run(script));
    sandbox.takeCalls();
    sandbox.set('refuses');

    const result = await sandbox.run(renderGatewayUserData({ ...PROPS, whitelist: ['192.0.2.0/24'] }));

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `storestack-gateway: ERROR: haproxy refuses the new configuration; ${sandbox.config}`,
    );
    expect(readFileSync(sandbox.config, 'utf8')).toBe(config);
    expect(sandbox.takeCalls().filter((call) => call.startsWith('systemctl'))).toEqual([]);
    expect(sandbox.configDirectory()).toEqual(['haproxy.cfg']);
  });

  it('lets haproxy use any port when SELinux is enabled', async () => {
    sandbox.enableSelinux();

    expectSuccess(await sandbox.run(script));

    expect(sandbox.calls()).toContain('setsebool -P haproxy_connect_any 1');
  });
});
