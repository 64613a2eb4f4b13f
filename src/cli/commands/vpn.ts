import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CommandResult } from '../../aws/commands.ts';
import type { OperationsAws, OperationsAwsFactory } from '../../aws/operations.ts';
import { instanceIdParameter } from '../../config/names.ts';
import type { Platform } from '../../config/schema.ts';
import { awsStep, BAD_INPUT, describeError, lazyRealOperationsAws, tail } from '../../ops/aws.ts';
import { INSTANCE_ID } from '../../ops/environments.ts';
import {
  CLIENT_CONFIGS_DIR,
  EASYRSA_INDEX,
  MAKE_CONFIG,
  parseIndex,
  profilePath,
  profileProblem,
  usernameProblem,
} from '../../ops/openvpn.ts';
import { captureOutput, shellQuote } from '../../ops/remote-output.ts';
import { type CliCommand, CliError, type CommandContext } from '../command.ts';
import { configFileOption, loadConfigOrFail } from '../config-file.ts';
import { table } from '../output.ts';

/** make_config.sh waits up to 120 s for the other script's lock, then runs easy-rsa and saves to S3. */
const MAKE_CONFIG_TIMEOUT_SECONDS = 300;
const READ_TIMEOUT_SECONDS = 60;

/** make_config.sh's own errors: `storestack-openvpn: ERROR: <message>` on standard error. */
const SCRIPT_ERROR = /^storestack-openvpn: ERROR: (.*)$/;

/** The OpenVPN server: its instance, as the Ops stack publishes it. */
interface VpnServer {
  readonly instanceId: string;
  readonly aws: OperationsAws;
}

/**
 * Writes `content` to `target` with mode 0600, whole or not at all: a new file beside it (created
 * 0600, so the key is never readable by others, whatever the umask) then linked in place, which
 * fails when `target` exists, or renamed over it with `force`.
 */
async function writePrivateFile(target: string, content: string, force: boolean): Promise<void> {
  const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const file = await open(temporary, 'wx', 0o600);
  try {
    await file.chmod(0o600);
    await file.writeFile(content);
  } finally {
    await file.close();
  }
  try {
    if (force) {
      await rename(temporary, target);
    } else {
      await link(temporary, target);
      await unlink(temporary);
    }
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(`${target} exists: remove it, or pass --force to overwrite it`, BAD_INPUT);
    }
    throw error;
  }
}

/**
 * `storestack vpn add-client <user> [--out <dir>] [--force] [--json]` and `storestack vpn list
 * [--json]`: the hosting document's client creation (6.A: "/root/client-configs/make_config.sh
 * <username>"), run on the OpenVPN server through SSM Run Command, with the profile brought back;
 * and the clients easy-rsa has issued certificates to.
 */
export class VpnCommand implements CliCommand {
  constructor(
    private readonly context: CommandContext,
    private readonly aws: OperationsAwsFactory = lazyRealOperationsAws,
  ) {}

  register(program: Command): void {
    const vpn = program.command('vpn').description("the OpenVPN server's clients");
    vpn
      .command('add-client')
      .description('issue a client certificate (make_config.sh <user>) and save its profile as <user>.ovpn')
      .argument('<user>', "a unique user name: 1 to 64 letters, digits, '.', '_' or '-'")
      .option('--out <dir>', 'where to save <user>.ovpn (created if missing)', '.')
      .option('--force', 'overwrite an existing <user>.ovpn there')
      .option('--json', 'print {user, file, instanceId} as JSON')
      .addHelpText(
        'after',
        [
          '',
          `Runs ${MAKE_CONFIG} <user> on the OpenVPN server through SSM Run Command, then reads the`,
          "profile back. The profile holds the user's private key: it is saved with mode 600; hand it over",
          'privately. A user who already has a certificate is refused: revoke it first (revoke_client.sh).',
        ].join('\n'),
      )
      .action(async (user: string, flags: { out: string; force?: boolean; json?: boolean }, command: Command) => {
        const problem = usernameProblem(user);
        if (problem) throw new CliError(problem, BAD_INPUT);
        const target = resolve(flags.out, `${user}.ovpn`);
        // Checked before the certificate is issued: a refusal afterwards would leave it unsaved here.
        if (!flags.force && existsSync(target)) {
          throw new CliError(`${target} exists: remove it, or pass --force to overwrite it`, BAD_INPUT);
        }
        await mkdir(flags.out, { recursive: true });
        const server = await this.server(command);

        const issue = await this.makeConfig(server, user);
        if (issue.status !== 'Success' || issue.exitCode !== 0) {
          const refusals = issue.stderr
            .split('\n')
            .map((line) => SCRIPT_ERROR.exec(line)?.[1])
            .filter((line): line is string => line !== undefined);
          const why =
            refusals.length > 0
              ? refusals.join('\n')
              : tail(issue.stderr) || `${issue.status}, exit code ${issue.exitCode}`;
          throw new CliError(`make_config.sh issued no certificate to ${user} on ${await this.where(server)}: ${why}`);
        }
        for (const line of issue.stdout.trimEnd().split('\n')) if (line) this.context.output.error(line);

        const path = profilePath(user);
        // From here the certificate exists: make_config.sh would refuse the user again, so every
        // failure says where the profile is and how to get it.
        const stranded = async (what: string) =>
          new CliError(
            `${user}'s certificate was issued, but ${what}\n` +
              `The profile is on ${await this.where(server)} at ${path}: copy it through an SSM session ` +
              `(aws ssm start-session --target ${server.instanceId}), or revoke the certificate ` +
              `(${CLIENT_CONFIGS_DIR}/revoke_client.sh ${user}) and add the client again.`,
          );
        let profile: string;
        try {
          const bytes = await captureOutput(server.aws.commands, server.instanceId, `cat -- ${shellQuote(path)}`, {
            comment: `storestack vpn add-client ${user}: read the profile`,
            timeoutSeconds: READ_TIMEOUT_SECONDS,
          });
          profile = bytes.toString('utf8');
        } catch (error) {
          throw await stranded(`its profile could not be read back: ${describeError(error)}`);
        }
        const broken = profileProblem(profile, user);
        if (broken) throw await stranded(`the profile read back is unusable: ${broken}`);
        try {
          await writePrivateFile(target, profile, flags.force === true);
        } catch (error) {
          throw await stranded(`it could not be saved: ${describeError(error)}`);
        }
        if (flags.json) {
          this.context.output.json({ user, file: target, instanceId: server.instanceId });
        } else {
          this.context.output.line(
            `${join(flags.out, `${user}.ovpn`)}: ${user}'s OpenVPN profile (mode 600, holds the private key)`,
          );
        }
      });

    vpn
      .command('list')
      .description("list the clients issued a certificate, with its state and expiry (easy-rsa's index)")
      .option('--json', 'print [{user, state, expires}] as JSON')
      .action(async (flags: { json?: boolean }, command: Command) => {
        const server = await this.server(command);
        let index: string;
        try {
          const bytes = await captureOutput(server.aws.commands, server.instanceId, `cat -- ${EASYRSA_INDEX}`, {
            comment: 'storestack vpn list: read the easy-rsa index',
            timeoutSeconds: READ_TIMEOUT_SECONDS,
          });
          index = bytes.toString('utf8');
        } catch (error) {
          throw new CliError(`could not read ${EASYRSA_INDEX} on ${await this.where(server)}: ${describeError(error)}`);
        }
        const clients = parseIndex(index, new Date());
        if (flags.json) {
          this.context.output.json(clients);
        } else if (clients.length === 0) {
          this.context.output.line('no client certificate has been issued');
        } else {
          const rows = clients.map((client) => [client.user, client.state, client.expires]);
          for (const line of table(['USER', 'STATE', 'EXPIRES'], rows)) this.context.output.line(line);
        }
      });
  }

  /** The OpenVPN server's instance, from the parameter the Ops stack publishes. */
  private async server(command: Command): Promise<VpnServer> {
    const platform: Platform = await loadConfigOrFail(configFileOption(command), this.context.projectRoot);
    const aws = await this.aws(platform.aws.region);
    const parameter = instanceIdParameter(platform, 'vpn');
    const instanceId = await awsStep(`reading the OpenVPN server's instance id (SSM parameter ${parameter})`, () =>
      aws.parameters.get(parameter),
    );
    if (!INSTANCE_ID.test(instanceId)) {
      throw new CliError(`the SSM parameter ${parameter} holds ${JSON.stringify(instanceId)}, not an instance id`);
    }
    return { instanceId, aws };
  }

  /** `make_config.sh <user>` on the server; resolves with how it ended, throws when SSM cannot run it. */
  private async makeConfig(server: VpnServer, user: string): Promise<CommandResult> {
    const comment = `storestack vpn add-client ${user}`;
    try {
      return await server.aws.commands.run(server.instanceId, `${MAKE_CONFIG} ${shellQuote(user)}`, {
        comment,
        timeoutSeconds: MAKE_CONFIG_TIMEOUT_SECONDS,
      });
    } catch (error) {
      throw new CliError(`"${comment}" could not run on ${await this.where(server)}: ${describeError(error)}`);
    }
  }

  /**
   * `the OpenVPN server i-... (10.0.1.5)`, for errors. The address is a help to whoever connects to
   * look: when SSM cannot tell it, the error at hand matters more than that one.
   */
  private async where(server: VpnServer): Promise<string> {
    const ip = await server.aws.commands.privateIp(server.instanceId).catch(() => undefined);
    return `the OpenVPN server ${server.instanceId}${ip ? ` (${ip})` : ''}`;
  }
}
