// The whole Rundeck user data run against a sandbox: the volume as in bootstrap-volume.test.ts, the
// packages, composer's download and Rundeck's API stubbed (curl answers from the stub's state).
import { createHash } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderRundeckUserData, renderStorestackLauncher } from '../../../src/assets/rundeck/render.ts';
import { AWS_PARAMETERS_STUB, RPM_STUB, stateKey } from '../stubbed-commands.ts';
import {
  ADMIN_SECRET,
  PACKAGE_PARAMETER,
  type RunResult,
  sampleUserDataProps,
  VOLUME_ID,
  VolumeSandbox,
} from './fixtures.ts';

const COMPOSER_PHAR = '<?php // composer.phar, as the stub downloads it\n';
const COMPOSER_SHA256 = createHash('sha256').update(COMPOSER_PHAR).digest('hex');
const API = 'http://127.0.0.1:4440';
const ADMIN_PASSWORD = 'Xk3vQp9LmW2rTz7NbY5cHd8FgJ4sAe6U';
const ADMIN_PASSWORD_MD5 = createHash('md5').update(ADMIN_PASSWORD).digest('hex');

// curl: composer's download (state composer.phar), and the API: state down (nothing answers),
// project (it exists), import-failed (the import answers with a failed job); the imported jobs
// are copied to imported.yaml, every request's method, path and headers to requests.
const CURL_STUB = `
output='' method=GET data='' url='' headers=()
while (($#)); do
  case $1 in
  --output) output=$2; shift 2 ;;
  --request) method=$2; shift 2 ;;
  --header) headers+=("$2"); shift 2 ;;
  --data-binary) data=$2; shift 2 ;;
  --write-out | --retry) shift 2 ;;
  --*) shift ;;
  *) url=$1; shift ;;
  esac
done
if [[ $url == https://getcomposer.org/*.sha256sum ]]; then
  [[ -f $STUB_STATE/composer.sha256sum ]] || exit 22
  cat "$STUB_STATE/composer.sha256sum"
  exit 0
fi
if [[ $url == https://getcomposer.org/* ]]; then
  cat "$STUB_STATE/composer.phar" >"$output"
  exit 0
fi
[[ ! -f $STUB_STATE/down ]] || { printf '000'; exit 7; }
auth=no
for header in "\${headers[@]}"; do
  if [[ $header == @* ]] && grep -q '^X-Rundeck-Auth-Token: [0-9a-f]\\{64\\}$' "\${header#@}"; then auth=yes; fi
done
printf '%s %s auth=%s\\n' "$method" "\${url#*/api/41}" "$auth" >>"$STUB_STATE/requests"
[[ $auth == yes ]] || { printf '{"error":true}' >"$output"; printf 403; exit 0; }
case "$method \${url#*/api/41}" in
"GET /system/info") printf '{}' >"$output"; printf 200 ;;
"GET /project/client-magento")
  if [[ -f $STUB_STATE/project ]]; then printf '{}' >"$output"; printf 200; else printf '{"error":true}' >"$output"; printf 404; fi ;;
"POST /projects") printf '%s' "$data" >"$STUB_STATE/project"; printf '{}' >"$output"; printf 201 ;;
"POST /project/client-magento/jobs/import?"*)
  cat "\${data#@}" >"$STUB_STATE/imported.yaml"
  if [[ -f $STUB_STATE/import-failed ]]; then
    printf '{"succeeded":[{}],"failed":[{"error":"bad"}],"skipped":[]}' >"$output"
  else
    printf '{"succeeded":[{},{}],"failed":[],"skipped":[]}' >"$output"
  fi
  printf 200 ;;
*) printf '{}' >"$output"; printf 404 ;;
esac`;

/** dnf install -y -q <packages...>: appends every package to installed. */
const DNF_STUB = `
[[ $1 == install ]] || exit 1
shift
for argument; do [[ $argument == -* ]] || printf '%s\\n' "$argument"; done >>"$STUB_STATE/installed"`;

class RundeckSandbox extends VolumeSandbox {
  readonly etc: string;
  readonly launcher: string;

  constructor() {
    super({
      prefix: 'storestack-rundeck-',
      stubs: { rpm: RPM_STUB, dnf: DNF_STUB, curl: CURL_STUB, chown: '', aws: AWS_PARAMETERS_STUB },
      realTools: ['head', 'od', 'tr', 'sha256sum', 'md5sum', 'jq'],
      stateFiles: ['installed', 'requests'],
      stateDirs: ['secrets'],
    });
    this.etc = join(this.root, 'etc');
    this.launcher = join(this.root, 'opt', 'storestack', 'bin', 'storestack');
    this.write(
      join(this.etc, 'rundeck', 'framework.properties'),
      'framework.server.name = ip-10-0-1-5\nframework.server.url = http://localhost:4440\n',
    );
    this.write(
      join(this.etc, 'rundeck', 'rundeck-config.properties'),
      '#loglevel.default is the default log level\ngrails.serverURL=http://localhost:4440\ndataSource.url = jdbc:h2:file:/var/lib/rundeck/data/rundeckdb\n',
    );
    this.write(join(this.state, 'composer.phar'), COMPOSER_PHAR);
    this.write(join(this.etc, 'rundeck', 'realm.properties'), 'admin:admin,user,admin\nuser:user,user\n');
    this.setAdminSecret(JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }));
  }

  setAdminSecret(value: string): void {
    this.write(join(this.state, 'secrets', stateKey(ADMIN_SECRET)), value);
  }

  stateFile(name: string): string | undefined {
    return this.read(join(this.state, name));
  }

  requests(): string[] {
    return (this.stateFile('requests') ?? '').split('\n').filter(Boolean);
  }

  override run(script: string, env: Record<string, string> = {}): Promise<RunResult> {
    return super.run(script, {
      STORESTACK_WAIT_SECONDS: '2',
      STORESTACK_RUNDECK_ETC: join(this.etc, 'rundeck'),
      STORESTACK_RUNDECK_SYSCONFIG: join(this.etc, 'sysconfig-rundeckd'),
      STORESTACK_REPO_FILE: join(this.etc, 'rundeck.repo'),
      STORESTACK_UNIT_DROP_IN_DIR: join(this.etc, 'rundeckd.service.d'),
      STORESTACK_COMPOSER_BIN: join(this.root, 'composer'),
      STORESTACK_LAUNCHER_FILE: this.launcher,
      STORESTACK_RUNDECK_API_URL: API,
      STORESTACK_RUNDECK_START_SECONDS: '2',
      ...env,
    });
  }
}

describe('the Rundeck user data with the system commands stubbed', () => {
  let sandbox: RundeckSandbox;
  const props = { ...sampleUserDataProps(), composer: { version: '2.8.4', sha256: COMPOSER_SHA256 } };
  const script = renderRundeckUserData(props);

  beforeEach(() => {
    sandbox = new RundeckSandbox();
  });

  afterEach(() => {
    sandbox.remove();
  });

  function expectSuccess(result: RunResult): void {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }

  it('mounts the volume, installs everything, configures port 4440 and the internal URL, imports the jobs', async () => {
    const device = sandbox.attach(VOLUME_ID);

    const result = await sandbox.run(script);

    expectSuccess(result);
    expect(sandbox.mounts()).toEqual([`${sandbox.mountPoint} ${device} xfs`]);
    expect(sandbox.callsOf('dnf')).toEqual([
      'dnf install -y -q java-17-amazon-corretto-headless git jq nodejs22 unzip php8.3-cli php8.3-intl php8.3-gd rundeck',
    ]);
    // storestack: the launcher the jobs run, and the packages directory the jobs' user writes.
    const launcher = sandbox.read(sandbox.launcher) ?? '';
    expect(launcher).toMatch(/^#!\/bin\/bash\n/);
    expect(launcher).toContain(`readonly PACKAGE_PARAMETER='${PACKAGE_PARAMETER}'\n`);
    expect(launcher).toContain("readonly NODE_BIN='/usr/bin/node-22'\n");
    expect(launcher).toContain(
      renderStorestackLauncher({ packageParameter: PACKAGE_PARAMETER, region: 'eu-west-3' }).split('\n').at(-2),
    );
    expect(statSync(sandbox.launcher).mode & 0o777).toBe(0o755);
    const packages = join(sandbox.root, 'opt', 'storestack', 'packages');
    expect(statSync(join(packages, '.lock')).isFile()).toBe(true);
    expect(sandbox.callsOf('chown')).toContain(`chown rundeck:rundeck ${packages} ${packages}/.lock`);
    // The RPM's admin/admin replaced: admin alone, its generated password as an MD5 hash.
    const realm = join(sandbox.etc, 'rundeck', 'realm.properties');
    expect(sandbox.read(realm)).toBe(`admin:MD5:${ADMIN_PASSWORD_MD5},user,admin\n`);
    expect(statSync(realm).mode & 0o777).toBe(0o640);
    expect(sandbox.callsOf('chown')).toContain(`chown root:rundeck ${realm}`);
    expect(sandbox.callLog()).not.toContain(ADMIN_PASSWORD);
    expect(sandbox.read(join(sandbox.etc, 'rundeck.repo'))).toContain(
      'baseurl=https://packages.rundeck.com/pagerduty/rundeck/rpm_any/rpm_any/$basearch\n',
    );
    expect(sandbox.read(join(sandbox.root, 'composer'))).toBe(COMPOSER_PHAR);
    expect(statSync(join(sandbox.root, 'composer')).mode & 0o777).toBe(0o755);
    const config = sandbox.read(join(sandbox.etc, 'rundeck', 'rundeck-config.properties')) ?? '';
    expect(config).toContain('grails.serverURL=http://rundeck.internal-client.url:4440\n');
    expect(config).toContain('server.port=4440\n');
    expect(config).toContain('dataSource.url = jdbc:h2:file:/var/lib/rundeck/data/rundeckdb\n');
    expect(config.match(/grails\.serverURL/g)).toHaveLength(1);
    const framework = sandbox.read(join(sandbox.etc, 'rundeck', 'framework.properties')) ?? '';
    expect(framework).toContain('framework.server.url=http://rundeck.internal-client.url:4440\n');
    expect(framework).toContain(`rundeck.tokens.file=${sandbox.mountPoint}/storestack/tokens.properties\n`);
    expect(sandbox.read(join(sandbox.etc, 'sysconfig-rundeckd'))).toContain('AWS_REGION=eu-west-3\n');
    expect(sandbox.read(join(sandbox.etc, 'rundeckd.service.d', '10-storestack.conf'))).toBe(
      `[Unit]\nRequiresMountsFor=${sandbox.mountPoint}\n`,
    );
    expect(sandbox.callsOf('systemctl')).toEqual([
      'systemctl daemon-reload',
      'systemctl daemon-reload',
      'systemctl enable rundeckd',
      'systemctl restart rundeckd',
    ]);
    expect(sandbox.requests()).toEqual([
      'GET /system/info auth=yes',
      'GET /project/client-magento auth=yes',
      'POST /projects auth=yes',
      'POST /project/client-magento/jobs/import?fileformat=yaml&dupeOption=update&uuidOption=preserve auth=yes',
    ]);
    expect(JSON.parse(sandbox.stateFile('project') ?? '')).toEqual({ name: 'client-magento' });
    expect(JSON.parse(sandbox.stateFile('imported.yaml') ?? '')).toEqual(JSON.parse(props.jobsYaml));
    expect(result.stdout).toContain('imported 2 job(s) into client-magento');
  });

  it.each([
    ['unreadable', null, `cannot read Rundeck's admin password from the secret ${ADMIN_SECRET}`],
    ['without a password', '{"username":"admin"}', `the secret ${ADMIN_SECRET} holds no password`],
    ['not JSON', 'admin', `the secret ${ADMIN_SECRET} holds no password`],
  ])('keeps admin/admin out and Rundeck stopped when the login secret is %s', async (_, value, message) => {
    sandbox.attach(VOLUME_ID);
    if (value === null) rmSync(join(sandbox.state, 'secrets', stateKey(ADMIN_SECRET)));
    else sandbox.setAdminSecret(value);

    const result = await sandbox.run(script);

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`storestack-rundeck: ERROR: ${message}`);
    expect(sandbox.callsOf('systemctl').filter((call) => /start/.test(call))).toEqual([]);
  });

  it('keeps the API token on the volume, readable by root only, and out of every command line', async () => {
    sandbox.attach(VOLUME_ID);

    expectSuccess(await sandbox.run(script));

    const header = sandbox.read(join(sandbox.mountPoint, 'storestack', 'api-token.header')) ?? '';
    const token = header.replace(/^X-Rundeck-Auth-Token: /, '').trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(sandbox.mountPoint, 'storestack', 'api-token.header')).mode & 0o777).toBe(0o600);
    expect(sandbox.read(join(sandbox.mountPoint, 'storestack', 'tokens.properties'))).toBe(
      `storestack-bootstrap: ${token}, admin\n`,
    );
    expect(sandbox.callLog()).not.toContain(token);
  });

  it('a second run (a reboot-time rerun) installs, restarts and creates nothing, and re-imports the jobs as updates', async () => {
    sandbox.attach(VOLUME_ID);
    expectSuccess(await sandbox.run(script));
    const token = sandbox.read(join(sandbox.mountPoint, 'storestack', 'api-token.header'));
    expect(sandbox.stateFile('installed')?.split('\n')).toEqual(
      expect.arrayContaining(['jq', ...props.phpPackages, 'rundeck']),
    );
    sandbox.clearCalls();
    sandbox.write(join(sandbox.state, 'requests'), '');

    expectSuccess(await sandbox.run(script));

    expect(sandbox.callsOf('mkfs.xfs')).toEqual([]);
    expect(sandbox.callsOf('dnf')).toEqual([]);
    expect(sandbox.callsOf('curl').filter((call) => call.includes('getcomposer.org'))).toEqual([]);
    expect(sandbox.callsOf('systemctl')).toEqual(['systemctl enable rundeckd', 'systemctl start rundeckd']);
    expect(sandbox.read(join(sandbox.mountPoint, 'storestack', 'api-token.header'))).toBe(token);
    expect(sandbox.requests()).toEqual([
      'GET /system/info auth=yes',
      'GET /project/client-magento auth=yes',
      'POST /project/client-magento/jobs/import?fileformat=yaml&dupeOption=update&uuidOption=preserve auth=yes',
    ]);
  });

  it('refuses a composer.phar whose SHA-256 is not the pinned one', async () => {
    sandbox.attach(VOLUME_ID);
    sandbox.write(join(sandbox.state, 'composer.phar'), 'tampered\n');

    const result = await sandbox.run(script);

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`does not have the SHA-256 ${COMPOSER_SHA256}; composer not installed`);
    expect(sandbox.read(join(sandbox.root, 'composer'))).toBeUndefined();
  });

  it('checks composer against the checksum getcomposer.org publishes when config pins no SHA-256', async () => {
    const unpinned = renderRundeckUserData({ ...props, composer: { version: '2.8.4' } });
    sandbox.attach(VOLUME_ID);
    sandbox.write(join(sandbox.state, 'composer.sha256sum'), `${COMPOSER_SHA256}  composer.phar\n`);

    const installed = await sandbox.run(unpinned);
    expect(installed.stderr).toBe('');
    expect(sandbox.read(join(sandbox.root, 'composer'))).toBe(COMPOSER_PHAR);

    sandbox.write(join(sandbox.root, 'composer'), 'stale\n');
    sandbox.write(join(sandbox.state, 'composer.phar'), 'tampered\n');
    const refused = await sandbox.run(unpinned);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`does not have the SHA-256 ${COMPOSER_SHA256}; composer not installed`);
  });

  it('fails clearly when Rundeck does not answer before the start timeout', async () => {
    sandbox.attach(VOLUME_ID);
    sandbox.write(join(sandbox.state, 'down'), '');

    const result = await sandbox.run(script, { STORESTACK_RUNDECK_START_SECONDS: '1', STORESTACK_POLL_SECONDS: '0.2' });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`Rundeck does not answer at ${API}/api/41 after 1 s`);
  });

  it('fails when Rundeck reports a job it could not import', async () => {
    sandbox.attach(VOLUME_ID);
    sandbox.write(join(sandbox.state, 'import-failed'), '');

    const result = await sandbox.run(script);

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'importing the jobs into client-magento: {"succeeded":[{}],"failed":[{"error":"bad"}]',
    );
  });
});
