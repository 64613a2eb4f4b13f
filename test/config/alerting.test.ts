// The monitoring configuration (document 7.F): who is alerted, the document's VPN alarms, and the
// thresholds of the added alarms, each problem reported with its path.
import { describe, expect, it } from 'vitest';
import { samplePlatform } from '../support.ts';
import { problemsOf, sample } from './support.ts';

describe('alerting', () => {
  it("holds the document's values in the sample, and a default for every added threshold", () => {
    const { alerting } = samplePlatform();
    expect(alerting.emails).toEqual(['aws-alerts@client.url']);
    expect(alerting.vpnAlarms).toEqual({ prefix: 'DLM', peers: ['Lan', 'Ml', 'Cetsi'], downWhen: 'no-tunnel-up' });
    expect(alerting.environmentHealthFrom).toBe('document');
    expect(alerting.thresholds).toEqual({
      albTarget5xxPercent: 5,
      redisMemoryPercent: 80,
      redisEvictions: 0,
      redisReplicationLagSeconds: 30,
      rdsFreeStorageGiB: 10,
      nfsDiskUsedPercent: 85,
      certificateDaysToExpiry: 30,
      cloudFront5xxPercent: 5,
    });
  });

  it('refuses an empty mailing list: the alarms would notify no one', () => {
    const input = sample();
    input.alerting.emails = [];
    expect(problemsOf(input)).toEqual(['alerting.emails: the mailing list is empty: the alarms would notify no one']);
  });

  it('refuses an empty preprod list too, when one is given', () => {
    const input = sample();
    input.alerting.preprodEmails = [];
    expect(problemsOf(input)).toEqual([
      'alerting.preprodEmails: the mailing list is empty: the alarms would notify no one',
    ]);
  });

  it.each([
    ['albTarget5xxPercent', 150, 'alerting.thresholds.albTarget5xxPercent: 150 is more than 100 %'],
    ['redisMemoryPercent', 0, 'alerting.thresholds.redisMemoryPercent: 0 is not a percentage above 0'],
    ['certificateDaysToExpiry', 0, 'alerting.thresholds.certificateDaysToExpiry: 0 is below 1'],
    ['certificateDaysToExpiry', 400, 'alerting.thresholds.certificateDaysToExpiry: 400 is above 365'],
    ['rdsFreeStorageGiB', 2.5, 'alerting.thresholds.rdsFreeStorageGiB: 2.5 is not a whole number'],
    ['redisEvictions', -1, 'alerting.thresholds.redisEvictions: -1 is below 0'],
  ])('refuses a threshold out of range: %s = %s', (key, value, problem) => {
    const input = sample();
    input.alerting.thresholds = { [key]: value };
    expect(problemsOf(input)).toEqual([problem]);
  });

  it('refuses a VPN peer named in the alarms but absent from the network, and one named twice', () => {
    const input = sample();
    input.alerting.vpnAlarms.peers = ['Lan', 'Paris', 'Lan'];
    expect(problemsOf(input)).toEqual([
      'alerting.vpnAlarms.peers[1]: Paris is not a VPN peer of network.vpn.connections (Lan, Ml, Cetsi)',
      'alerting.vpnAlarms.peers[2]: Lan is listed twice (alerting.vpnAlarms.peers[0])',
    ]);
  });

  it('refuses an alarm prefix that would not read as a name, and an unknown down rule', () => {
    const input = sample();
    input.alerting.vpnAlarms.prefix = 'DLM VPN';
    (input.alerting.vpnAlarms as { downWhen: string }).downWhen = 'sometimes';
    const problems = problemsOf(input);
    expect(problems).toContain(
      'alerting.vpnAlarms.prefix: DLM VPN is not an alarm prefix (letters and digits, starting with a letter)',
    );
    expect(problems.some((problem) => problem.startsWith('alerting.vpnAlarms.downWhen:'))).toBe(true);
  });
});
