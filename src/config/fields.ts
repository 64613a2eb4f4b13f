// Field types shared by the sections of the configuration schema: each knows its
// own rule and says what is wrong in words an operator can act on.
import { z } from 'zod';
import { type Ipv4Cidr, nonPublicReason, parseCidr, parseIpv4 } from './cidr.ts';

export const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

export const cidrBlock = z.string().superRefine((value, ctx) => {
  const parsed = parseCidr(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${value} ${parsed.reason}` });
});

export const publicIpv4 = z.string().superRefine((value, ctx) => {
  const address = parseIpv4(value);
  const notPublic = address === undefined ? undefined : nonPublicReason(address);
  if (address === undefined) {
    ctx.addIssue({ code: 'custom', message: `${value} is not an IPv4 address` });
  } else if (notPublic) {
    ctx.addIssue({ code: 'custom', message: `${value} is ${notPublic}; a VPN peer needs its public address` });
  }
});

export const email = z.email({ error: (issue) => `${show(issue.input)} is not a valid email address` });

export const dnsName = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
  error: (issue) => `${show(issue.input)} is not a lower-case DNS name such as client.url`,
});

export const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, {
  error: (issue) => `${show(issue.input)} is not an AWS region name such as eu-west-3`,
});

export const instanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, {
  error: (issue) => `${show(issue.input)} is not an EC2 instance type such as m7i.large`,
});

/** A pinned machine image: no lookup at synth, no replacement at a routine deploy. */
export const amiId = z.string().regex(/^ami-[0-9a-f]{8,17}$/, {
  error: (issue) => `${show(issue.input)} is not an AMI id such as ami-0123456789abcdef0`,
});

/** BGP autonomous system numbers: 16-bit or 32-bit, 0 and 4294967295 reserved. */
export const asn = z.number().int().min(1).max(4294967294);

/** Retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
export const logRetentionDays = z.number().refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
  error: (issue) =>
    `${show(issue.input)} is not a CloudWatch Logs retention period (one of ${LOG_RETENTION_DAYS.join(', ')})`,
});

/**
 * The block, or undefined when the text is not a valid CIDR. Refinements run even
 * when a field failed its own check, and that failure is already reported.
 */
export function validCidr(text: string): Ipv4Cidr | undefined {
  const parsed = parseCidr(text);
  return parsed.ok ? parsed.cidr : undefined;
}
