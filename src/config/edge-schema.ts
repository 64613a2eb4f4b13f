// The edge (document 7.C, 7.E, 7.H): the CloudFront distributions for media and static files,
// their certificate (CloudFront takes certificates from us-east-1 only), and the public zone.
import { z } from 'zod';
import { show } from './fields.ts';

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;

export const edgeSchema = z.strictObject({
  /** The environment CloudFront fetches from (document 7.C: "the production instances load balancer"). */
  environment: z.string().min(1),
  /**
   * The imported certificate (document 7.E: "added to the CloudFront distribution") as imported
   * in us-east-1, the only region CloudFront takes certificates from. Same names as `certificate`.
   */
  cloudFrontCertificateArn: z
    .string()
    .regex(CERTIFICATE_ARN, { error: (issue) => `${show(issue.input)} is not an ACM certificate ARN` })
    .refine((arn) => arn.split(':')[3] === 'us-east-1', {
      error: (issue) =>
        `${show(issue.input)} is not in us-east-1: CloudFront takes certificates from us-east-1 only (import the certificate there too)`,
    }),
  /**
   * The store domain's public hosted zone (document 7.H), when it exists already.
   * Default: a new public zone, whose name servers the registrar must then be given.
   */
  publicHostedZoneId: z
    .string()
    .regex(/^Z[A-Z0-9]{1,31}$/, { error: (issue) => `${show(issue.input)} is not a Route 53 hosted zone id` })
    .optional()
    .describe("The domain's existing public hosted zone. Default: a new one (give its name servers to the registrar)."),
  /** Days the distributions' access logs are kept. */
  logRetentionDays: z
    .number()
    .int()
    .min(1)
    .default(365)
    .describe("Days the distributions' access logs are kept. Default: 365."),
});

export type EdgeConfig = z.output<typeof edgeSchema>;
