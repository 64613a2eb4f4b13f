// Monitoring (document 7.F): who the alarms notify, how the document's alarms read, and the
// thresholds of the alarms storestack adds where the document has none.
import { z } from 'zod';
import { email, show } from './fields.ts';

const percent = (fallback: number, what: string) =>
  z
    .number()
    .gt(0, { error: (issue) => `${show(issue.input)} is not a percentage above 0` })
    .max(100, { error: (issue) => `${show(issue.input)} is more than 100 %` })
    .default(fallback)
    .describe(`${what} Default: ${fallback}.`);

const wholeNumber = (minimum: number, maximum: number, fallback: number, what: string) =>
  z
    .number()
    .int({ error: (issue) => `${show(issue.input)} is not a whole number` })
    .min(minimum, { error: (issue) => `${show(issue.input)} is below ${minimum}` })
    .max(maximum, { error: (issue) => `${show(issue.input)} is above ${maximum}` })
    .default(fallback)
    .describe(`${what} Default: ${fallback}.`);

const mailingList = z.array(email).min(1, { error: 'the mailing list is empty: the alarms would notify no one' });

/** The thresholds of the alarms the document lacks (README, "Monitoring", says why each exists). */
export const addedAlarmThresholdsSchema = z.strictObject({
  albTarget5xxPercent: percent(
    5,
    "Share of the production ALB's requests answered 5xx by the instances, per 5 minutes.",
  ),
  redisMemoryPercent: percent(80, "Redis's memory used (DatabaseMemoryUsagePercentage), cache and sessions."),
  redisEvictions: wholeNumber(0, 1_000_000, 0, 'Keys Redis evicts in 5 minutes above which it alarms.'),
  redisReplicationLagSeconds: wholeNumber(1, 3600, 30, "A Redis replica's lag behind its primary, in seconds."),
  rdsFreeStorageGiB: wholeNumber(1, 65536, 10, "A database's free storage, in GiB, below which it alarms."),
  nfsDiskUsedPercent: percent(85, "An NFS share's disk used, as the CloudWatch agent reports it."),
  certificateDaysToExpiry: wholeNumber(
    1,
    365,
    30,
    'Days before the imported certificate expires: it does not renew itself.',
  ),
  cloudFront5xxPercent: percent(5, "CloudFront's 5xx error rate (media and static), per 5 minutes."),
});

export const alertingSchema = z.strictObject({
  /** The mailing list every alarm notifies (document 7.F). */
  emails: mailingList,
  /**
   * Preprod's environment health alarm notifies this list on a topic of its own.
   * Default: the production list's topic.
   */
  preprodEmails: mailingList.optional(),
  /** The document's `<prefix>-<peer> VPN status` alarms. */
  vpnAlarms: z.strictObject({
    /** The names' prefix (document: `DLM`). */
    prefix: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,15}$/, {
      error: (issue) => `${show(issue.input)} is not an alarm prefix (letters and digits, starting with a letter)`,
    }),
    /** The peers (network.vpn.connections names) whose link is alarmed (document: Lan, Ml, Cetsi). */
    peers: z.array(z.string()).min(1),
    /**
     * When a link counts as down. A connection has two tunnels; its TunnelState is their average
     * (1 both up, 0.5 one, 0 none). `no-tunnel-up`: the site is cut off (the link is redundant,
     * one tunnel carries it). `any-tunnel-down`: the document's words, "one of the tunnels is
     * down", which AWS's tunnel maintenance trips in turn. Default: no-tunnel-up.
     */
    downWhen: z
      .enum(['no-tunnel-up', 'any-tunnel-down'])
      .default('no-tunnel-up')
      .describe('When a VPN link counts as down: no-tunnel-up or any-tunnel-down. Default: no-tunnel-up.'),
  }),
  /**
   * `Prod eb health` as the document writes it alarms above 0 (Ok): Info (a long release) trips
   * it. `warning` alarms from Warning up. Default: document.
   */
  environmentHealthFrom: z
    .enum(['document', 'warning'])
    .default('document')
    .describe("Where 'Prod eb health' starts alarming: document (above Ok) or warning. Default: document."),
  thresholds: addedAlarmThresholdsSchema.prefault({}),
});

export type AlertingConfig = z.output<typeof alertingSchema>;
