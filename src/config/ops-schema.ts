// The operations servers (document 6.A, 6.B, and the Ansible and phpMyAdmin hosts of section 1).
import { z } from 'zod';
import { amiId, cidrBlock, instanceType, show } from './fields.ts';

export const opsSchema = z.strictObject({
  /** Document 6.A: the VPN server for people (the site-to-site VPNs are in network.vpn). */
  openVpn: z.strictObject({
    instanceType,
    /** Pinned: a replacement is deliberate; the PKI survives it (saved in the OpsData stack). */
    amiId,
    /** The clients' addresses, outside the VPC; masqueraded into it. */
    clientCidr: cidrBlock,
    port: z.number().int().min(1).max(65535).default(1194).describe('UDP port of the VPN. Default: 1194.'),
  }),
  /** Document 6.B: Rundeck, also the release build host. */
  rundeck: z.strictObject({
    instanceType,
    /** Pinned, like every instance that keeps hand-made state. */
    amiId,
    /** The persistent data volume (document 6.B), in OpsData. */
    volumeGiB: z.number().int().min(10).max(16384),
    /** The composer release the build host installs (checked against getcomposer.org's published SHA-256). */
    composerVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, { error: (issue) => `${show(issue.input)} is not a composer release such as 2.8.4` })
      .default('2.8.4')
      .describe('The composer release installed on the build host. Default: 2.8.4.'),
    /** The Rundeck project holding the deploy jobs. */
    project: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, {
      error: (issue) => `${show(issue.input)} is not a Rundeck project name (lower-case letters, digits, dashes)`,
    }),
  }),
  /** The Ansible control node (document: "Ansible ... hosted on AWS EC2"); current Amazon Linux 2023. */
  ansible: z.strictObject({ instanceType }),
  /** phpMyAdmin for the three databases, from the VPC and the VPN only; current Amazon Linux 2023. */
  phpMyAdmin: z.strictObject({
    instanceType,
    /** The phpMyAdmin release installed; its tarball's signature is checked against phpMyAdmin's release key. */
    version: z.string().regex(/^\d+\.\d+\.\d+$/, {
      error: (issue) => `${show(issue.input)} is not a phpMyAdmin version such as 5.2.2`,
    }),
  }),
});
