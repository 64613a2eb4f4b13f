import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import { acknowledge } from '../gates/index.ts';

/** The listener the Beanstalk environments' rules go on. */
export const HTTPS_PORT = 443;
/** The port that only redirects. */
export const HTTP_PORT = 80;
/**
 * TLS 1.3 and 1.2 with forward-secret AEAD ciphers only (no CBC, no RSA key exchange): what PCI
 * DSS 4.2.1 calls strong cryptography, and what every browser and CloudFront speak.
 */
export const TLS_POLICY = elbv2.SslPolicy.TLS13_RES;

export interface SharedLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  /** The public subnets, one per AZ. */
  readonly subnets: readonly ec2.ISubnet[];
  /** The imported certificate (document 7.E), in the load balancer's region. */
  readonly certificateArn: string;
  /** Receives the access logs (ALB delivery accepts SSE-S3 buckets only); no prefix. */
  readonly accessLogBucket: s3.IBucket;
  readonly deletionProtection: boolean;
  /** What the group and load balancer are called in descriptions, e.g. `Magento prod`. */
  readonly label: string;
}

/**
 * One internet-facing Application Load Balancer shared by an environment's Beanstalk
 * environments (Beanstalk's shared mode, docs/adr/0006): storestack owns the load balancer, its
 * security group and listeners; Beanstalk adds target groups and rules to the HTTPS listener.
 *
 * HTTPS on 443 with the imported certificate and a TLS 1.2+ policy; its default action answers
 * 404 for a host no rule names. HTTP on 80 only redirects to HTTPS. Invalid header fields are
 * dropped (request smuggling), access logs go to the log bucket.
 */
export class SharedLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly securityGroup: ec2.SecurityGroup;
  readonly httpsListener: elbv2.ApplicationListener;

  constructor(scope: Construct, id: string, props: SharedLoadBalancerProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.label} load balancer: HTTPS and HTTP (redirected) from the internet`,
      // Egress only to the instances, added by admit().
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(HTTPS_PORT), 'HTTPS from the internet');
    this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(HTTP_PORT), 'HTTP, redirected to HTTPS');
    acknowledge(this.securityGroup, {
      id: 'AwsSolutions-EC23',
      reason:
        "The store's public load balancer: shoppers and CloudFront reach it from any address, on 443 (and 80, which only redirects to 443). The instances behind it admit this group only.",
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [...props.subnets] },
      internetFacing: true,
      securityGroup: this.securityGroup,
      deletionProtection: props.deletionProtection,
      dropInvalidHeaderFields: true,
      desyncMitigationMode: elbv2.DesyncMitigationMode.DEFENSIVE,
      http2Enabled: true,
      // Magento's admin imports run long requests; the instances' PHP allows 600 s.
      idleTimeout: Duration.seconds(600),
    });
    // Set directly: logAccessLogs() would also write the bucket's policy, which the Storage stack owns.
    this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    this.loadBalancer.setAttribute('access_logs.s3.bucket', props.accessLogBucket.bucketName);
    acknowledge(this.loadBalancer, {
      id: 'PCI.DSS.321-ALBWAFEnabled',
      reason:
        "The production ALB's web ACL lives in the Edge stack beside CloudFront (it requires CloudFront's secret header on /pub/media and /pub/static), out of this rule's sight; a managed rule set for the store itself needs tuning to Magento's admin and API traffic and is an open question for the client (README deviations).",
    });
    if (!props.deletionProtection) {
      acknowledge(this.loadBalancer, {
        id: 'AwsSolutions-ELB4',
        reason:
          'Deletion protection is turned off by configuration (magento.loadBalancer.deletionProtection: false) for a pre-production environment whose load balancer may be rebuilt at will.',
      });
    }

    this.httpsListener = this.loadBalancer.addListener('Https', {
      port: HTTPS_PORT,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
      sslPolicy: TLS_POLICY,
      // Beanstalk's rules route the store's names; anything else (the bare ALB name, a stray host) ends here.
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'text/plain',
        messageBody: 'Not found',
      }),
      open: false,
    });
  }

  /** Lets the load balancer reach `group` on `port`; the rules land in this construct's stack. */
  admit(group: ec2.ISecurityGroup, port: number, description: string): void {
    this.securityGroup.connections.allowTo(group, ec2.Port.tcp(port), description);
  }

  /**
   * Adds the HTTP listener, which only redirects to HTTPS, after `environments`: Beanstalk's
   * shared mode attaches an environment's default rule to a port-80 listener that exists when
   * the environment is created, so creating it afterwards keeps every Beanstalk rule off port 80
   * (docs/adr/0006).
   */
  addHttpRedirect(environments: readonly IDependable[]): elbv2.ApplicationListener {
    const listener = this.loadBalancer.addListener('Http', {
      port: HTTP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: String(HTTPS_PORT), permanent: true }),
      open: false,
    });
    for (const environment of environments) listener.node.addDependency(environment);
    acknowledge(listener, {
      id: 'PCI.DSS.321-ELBv2ACMCertificateRequired',
      reason:
        'The port-80 listener carries no content: its only action is a permanent redirect to the HTTPS listener, which serves the imported ACM certificate with a TLS 1.2+ policy.',
    });
    return listener;
  }
}
