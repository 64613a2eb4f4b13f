import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { Platform } from '../../config/schema.ts';
import { encryptedLogGroup, StackKeys } from '../encryption.ts';
import { acknowledge } from '../gates/index.ts';
import { PlatformStack } from '../platform-stack.ts';
import type { AppsStack } from './apps-stack.ts';
import type { MagentoStack } from './magento-stack.ts';

/** The header CloudFront adds to every origin request; the web ACL blocks asset requests without it. */
export const ORIGIN_VERIFY_HEADER = 'x-storestack-origin-verify';
/** Document 7.C: "with /pub/static or /pub/media added to the url". */
export const DISTRIBUTIONS = [
  { name: 'media', originPath: '/pub/media' },
  { name: 'static', originPath: '/pub/static' },
] as const;

export interface EdgeStackProps {
  readonly platform: Platform;
  readonly magento: ReadonlyMap<string, MagentoStack>;
  readonly apps: AppsStack;
}

/**
 * The edge (document 7.C, 7.E, 7.H): two CloudFront distributions, `media.<domain>` and
 * `static.<domain>`, fetching from the production ALB through `origin.<domain>` (a name the
 * certificate covers, matched by the front end's rule) with `/pub/media` and `/pub/static` added;
 * a secret header on their origin requests, which a web ACL on the production ALB requires for
 * `/pub/media` and `/pub/static`, so the CDN cannot be bypassed; and the public zone's records.
 */
export class EdgeStack extends PlatformStack {
  readonly distributions: ReadonlyMap<string, cloudfront.Distribution>;
  readonly publicZone: route53.IHostedZone;
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, props: EdgeStackProps) {
    const { platform, magento, apps } = props;
    super(scope, {
      platform,
      kind: 'Edge',
      stateful: false,
      // The distributions' ids go to the us-east-1 monitoring stack (CloudFront's metrics live there).
      crossRegionReferences: true,
      description: 'storestack: CloudFront media and static distributions, origin protection, public DNS records',
    });
    const domain = platform.domains.public;
    const production = magento.get(platform.edge.environment);
    if (!production) throw new Error(`${this.node.path}: no Magento stack for ${platform.edge.environment}`);

    const originSecret = new secretsmanager.Secret(this, 'OriginSecret', {
      description: `The value of ${ORIGIN_VERIFY_HEADER}, which CloudFront sends and the production ALB's web ACL requires`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      encryptionKey: StackKeys.of(this).secrets,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(originSecret, {
      id: 'AwsSolutions-SMG4',
      reason:
        'The origin header value is rotated by a deploy, not a Lambda: CloudFront and the web ACL read it when CloudFormation resolves it, so a new value (put-secret-value, then deploy the Edge stack) takes effect in both at once.',
    });
    const originToken = originSecret.secretValue.unsafeUnwrap();

    const onlyCloudFrontLogs =
      'This bucket only receives CloudFront access logs; logging its own accesses into itself would loop, and its writer is the CloudFront log delivery service alone.';
    const logs = new s3.Bucket(this, 'AccessLogs', {
      bucketName: `${platform.client.name}-cloudfront-logs`,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // CloudFront's standard logs are delivered with an ACL grant to its log delivery account.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(platform.edge.logRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      logs,
      {
        id: 'AwsSolutions-S1',
        reason: onlyCloudFrontLogs,
      },
      {
        id: 'PCI.DSS.321-S3BucketLoggingEnabled',
        reason: onlyCloudFrontLogs,
      },
      {
        id: 'PCI.DSS.321-S3BucketReplicationEnabled',
        reason:
          'Access logs of public static and media files, kept in one region for their retention period: no cardholder data, and a lost day of CDN logs loses no business data.',
      },
      {
        id: 'PCI.DSS.321-S3BucketVersioningEnabled',
        reason:
          'CloudFront writes each log file once under a unique name; versions would only double the storage of files nobody rewrites.',
      },
      {
        id: 'PCI.DSS.321-S3DefaultEncryptionKMS',
        reason:
          'CloudFront standard log delivery writes to SSE-S3 buckets; a KMS key policy for the log delivery service is not supported for these logs.',
      },
    );

    const certificate = acm.Certificate.fromCertificateArn(this, 'Certificate', platform.edge.cloudFrontCertificateArn);
    const cachePolicy = new cloudfront.CachePolicy(this, 'AssetsCachePolicy', {
      comment: "Magento's media and static files: no cookies, no query strings, Origin for CORS (fonts)",
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('Origin'),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.days(1),
      maxTtl: Duration.days(365),
    });

    const aclOnTheOrigin =
      'The distribution serves public, cacheable files only; the web ACL that matters sits on the production ALB, where it blocks any asset request that did not come through CloudFront.';
    const distributions = new Map<string, cloudfront.Distribution>();
    for (const { name, originPath } of DISTRIBUTIONS) {
      const distribution = new cloudfront.Distribution(this, `Distribution-${name}`, {
        comment: `${platform.client.name} ${name}: ${originPath} of origin.${domain}`,
        domainNames: [`${name}.${domain}`],
        certificate,
        minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
        enableLogging: true,
        logBucket: logs,
        logFilePrefix: `${name}/`,
        defaultBehavior: {
          origin: new origins.HttpOrigin(`origin.${domain}`, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
            originPath,
            customHeaders: { [ORIGIN_VERIFY_HEADER]: originToken },
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
          compress: true,
          cachePolicy,
        },
      });
      acknowledge(
        distribution,
        {
          id: 'AwsSolutions-CFR1',
          reason:
            'Public product images and static files of a store that sells to any country: a geo restriction would turn customers away, and the document names none.',
        },
        {
          id: 'AwsSolutions-CFR2',
          reason: aclOnTheOrigin,
        },
        {
          id: 'PCI.DSS.321-CloudFrontWAFEnabled',
          reason: aclOnTheOrigin,
        },
      );
      distributions.set(name, distribution);
    }
    this.distributions = distributions;

    // Asset requests to the production ALB must come through CloudFront (the secret header).
    const startsWith = (path: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'STARTS_WITH',
        searchString: path,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'OriginWebAcl', {
      name: `${platform.client.name}-${platform.edge.environment}-origin`,
      description: `Blocks /pub/media and /pub/static on the ${platform.edge.environment} ALB unless CloudFront sent them`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: `${platform.client.name}-origin`,
        sampledRequestsEnabled: true,
      },
      rules: [
        {
          name: 'AssetsOnlyThroughCloudFront',
          priority: 0,
          action: { block: {} },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'AssetsOnlyThroughCloudFront',
            sampledRequestsEnabled: true,
          },
          statement: {
            andStatement: {
              statements: [
                { orStatement: { statements: DISTRIBUTIONS.map(({ originPath }) => startsWith(`${originPath}/`)) } },
                {
                  notStatement: {
                    statement: {
                      byteMatchStatement: {
                        fieldToMatch: { singleHeader: { Name: ORIGIN_VERIFY_HEADER } },
                        positionalConstraint: 'EXACTLY',
                        searchString: originToken,
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      ],
    });
    // PCI DSS 10.2: every request the web ACL judged, blocked or not, kept a year.
    const wafLogs = encryptedLogGroup(this, 'OriginWebAclLogs', {
      // WAF delivers only to log groups whose name starts with aws-waf-logs-.
      logGroupName: `aws-waf-logs-${platform.client.name}-${platform.edge.environment}-origin`,
    });
    new wafv2.CfnLoggingConfiguration(this, 'OriginWebAclLogging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: wafLogs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'OriginWebAclAssociation', {
      resourceArn: production.loadBalancer.loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });

    // Document 7.H: the public zone, with every name storestack serves.
    this.publicZone = platform.edge.publicHostedZoneId
      ? route53.PublicHostedZone.fromHostedZoneAttributes(this, 'PublicZone', {
          hostedZoneId: platform.edge.publicHostedZoneId,
          zoneName: domain,
        })
      : new route53.PublicHostedZone(this, 'PublicZone', {
          zoneName: domain,
          comment: `The store's public names (document 7.H); the registrar must delegate ${domain} to it`,
        });
    const recordName = (host: string) => (host === domain ? '' : host.slice(0, -(domain.length + 1)));
    const inDomain = (host: string) => host === domain || host.endsWith(`.${domain}`);
    for (const environment of platform.environments) {
      const stack = magento.get(environment.name);
      if (!stack) continue;
      const target = route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(stack.loadBalancer.loadBalancer));
      for (const host of environment.magento.hostNames.filter(inDomain)) {
        new route53.ARecord(this, `Record-${host}`, { zone: this.publicZone, recordName: recordName(host), target });
      }
    }
    const appsTarget = route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(apps.loadBalancer.loadBalancer));
    for (const app of ['pim', 'connector', 'mirakl'] as const) {
      const host = platform.apps[app].hostName;
      if (!inDomain(host)) continue;
      new route53.ARecord(this, `Record-${host}`, {
        zone: this.publicZone,
        recordName: recordName(host),
        target: appsTarget,
      });
    }
    for (const [name, distribution] of distributions) {
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(distribution));
      new route53.ARecord(this, `Record-${name}`, { zone: this.publicZone, recordName: name, target });
      new route53.AaaaRecord(this, `Record-${name}-ipv6`, { zone: this.publicZone, recordName: name, target });
    }
  }
}
