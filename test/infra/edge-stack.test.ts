// The edge (issue 6): the media and static distributions, the origin protection on the
// production ALB, and the public zone's records.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPlatformApp, readProjectContext } from '../../src/infra/app.ts';
import type { PlatformStacks } from '../../src/infra/platform.ts';
import { ORIGIN_VERIFY_HEADER } from '../../src/infra/stacks/edge-stack.ts';
import { PROJECT_ROOT, platformWith, samplePlatform } from '../support.ts';
import { ofType, only, type Properties, type Resources, resourcesOf, target } from './template.ts';

function synth(platform = samplePlatform()): PlatformStacks {
  return createPlatformApp({ platform, gates: false, context: readProjectContext(PROJECT_ROOT) }).stacks;
}

/** A dynamic reference to the secret `secretId` as CloudFormation resolves it. */
function isSecretReference(value: unknown, secretId: string): boolean {
  const text = JSON.stringify(value);
  return text.includes('{{resolve:secretsmanager:') && text.includes(secretId);
}

describe('Edge stack (sample configuration)', () => {
  let stacks: PlatformStacks;
  let edge: Resources;
  let secretId: string;
  beforeAll(() => {
    stacks = synth();
    edge = resourcesOf(Template.fromStack(stacks.edge));
    [secretId] = only(edge, 'AWS::SecretsManager::Secret');
  });
  const distribution = (alias: string): Properties => {
    const found = ofType(edge, 'AWS::CloudFront::Distribution').find(([, candidate]) =>
      (candidate.Properties.DistributionConfig.Aliases as string[]).includes(alias),
    );
    if (!found) throw new Error(`no distribution for ${alias}`);
    return found[1].Properties.DistributionConfig;
  };

  it.each([
    ['media.client.url', '/pub/media'],
    ['static.client.url', '/pub/static'],
  ])('%s: HTTPS-only viewers on the us-east-1 certificate, fetching %s from origin.client.url', (alias, path) => {
    const config = distribution(alias);
    expect(config.Aliases).toEqual([alias]);
    expect(config.ViewerCertificate).toMatchObject({
      AcmCertificateArn: samplePlatform().edge.cloudFrontCertificateArn,
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    expect(config.HttpVersion).toBe('http2and3');
    const [origin] = config.Origins as Properties[];
    expect(origin?.DomainName).toBe('origin.client.url');
    expect(origin?.OriginPath).toBe(path);
    expect(origin?.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    const headers = origin?.OriginCustomHeaders as { HeaderName: string; HeaderValue: unknown }[];
    expect(headers.map((header) => header.HeaderName)).toEqual([ORIGIN_VERIFY_HEADER]);
    expect(isSecretReference(headers[0]?.HeaderValue, secretId)).toBe(true);
    const behavior = config.DefaultCacheBehavior;
    expect(behavior.ViewerProtocolPolicy).toBe('https-only');
    expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(behavior.Compress).toBe(true);
    expect(config.Logging).toMatchObject({ Prefix: `${alias.split('.')[0]}/` });
  });

  it('keys the cache without cookies or query strings, forwarding Origin for cross-origin fonts', () => {
    const policyId = target(distribution('static.client.url').DefaultCacheBehavior.CachePolicyId);
    const config = edge[policyId]?.Properties.CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin;
    expect(config.CookiesConfig).toEqual({ CookieBehavior: 'none' });
    expect(config.QueryStringsConfig).toEqual({ QueryStringBehavior: 'none' });
    expect(config.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['Origin'] });
    expect(config.EnableAcceptEncodingBrotli).toBe(true);
    expect(config.EnableAcceptEncodingGzip).toBe(true);
  });

  it('blocks /pub/media and /pub/static on the production ALB unless the secret header is there', () => {
    const [aclId, acl] = only(edge, 'AWS::WAFv2::WebACL');
    expect(acl.Properties.Scope).toBe('REGIONAL');
    expect(acl.Properties.DefaultAction).toEqual({ Allow: {} });
    const [rule] = acl.Properties.Rules as [Properties];
    expect(rule.Action).toEqual({ Block: {} });
    const [paths, missingHeader] = rule.Statement.AndStatement.Statements as [Properties, Properties];
    expect(
      (paths.OrStatement.Statements as Properties[]).map((statement) => statement.ByteMatchStatement.SearchString),
    ).toEqual(['/pub/media/', '/pub/static/']);
    const header = missingHeader.NotStatement.Statement.ByteMatchStatement;
    expect(header.FieldToMatch).toEqual({ SingleHeader: { Name: ORIGIN_VERIFY_HEADER } });
    expect(header.PositionalConstraint).toBe('EXACTLY');
    expect(isSecretReference(header.SearchString, secretId)).toBe(true);
    const [, association] = only(edge, 'AWS::WAFv2::WebACLAssociation');
    expect(target(association.Properties.WebACLArn)).toBe(aclId);
    expect(JSON.stringify(association.Properties.ResourceArn)).toMatch(/storestack-Magento-prod:.*LoadBalancer/);
    const [, logging] = only(edge, 'AWS::WAFv2::LoggingConfiguration');
    const destination = JSON.stringify(logging.Properties.LogDestinationConfigs);
    const [logGroupId, logGroup] = only(edge, 'AWS::Logs::LogGroup');
    expect(destination).toContain(`{"Ref":"${logGroupId}"}`);
    expect(logGroup.Properties.LogGroupName).toBe('aws-waf-logs-client-prod-origin');
  });

  it('records every public name: the stores at their ALBs, the apps at theirs, media and static at CloudFront', () => {
    const records = ofType(edge, 'AWS::Route53::RecordSet').map(([, record]) => ({
      name: record.Properties.Name as string,
      type: record.Properties.Type as string,
      alias: JSON.stringify(record.Properties.AliasTarget?.DNSName),
    }));
    const byName = (name: string) => records.filter((record) => record.name === name);
    for (const name of ['client.url.', 'www.client.url.', 'origin.client.url.']) {
      expect(byName(name).map((record) => record.type)).toEqual(['A']);
      expect(byName(name)[0]?.alias).toMatch(/storestack-Magento-prod/);
    }
    expect(byName('preprod.client.url.')[0]?.alias).toMatch(/storestack-Magento-preprod/);
    for (const app of ['pim', 'connector', 'mirakl']) {
      expect(byName(`${app}.client.url.`)[0]?.alias).toMatch(/LoadBalancer/);
      expect(byName(`${app}.client.url.`)[0]?.alias).not.toMatch(/Magento/);
    }
    for (const name of ['media.client.url.', 'static.client.url.']) {
      expect(
        byName(name)
          .map((record) => record.type)
          .sort(),
      ).toEqual(['A', 'AAAA']);
      expect(byName(name)[0]?.alias).toMatch(/Distribution/);
    }
    expect(records).toHaveLength(3 + 1 + 3 + 4);
    const [, zone] = only(edge, 'AWS::Route53::HostedZone');
    expect(zone.Properties.Name).toBe('client.url.');
  });

  it('uses an existing public zone when config names it, creating none', () => {
    const withZone = synth(
      platformWith((input) => {
        input.edge.publicHostedZoneId = 'Z0123456789ABCDEFGHIJ';
      }),
    );
    const resources = resourcesOf(Template.fromStack(withZone.edge));
    expect(ofType(resources, 'AWS::Route53::HostedZone')).toHaveLength(0);
    for (const [, record] of ofType(resources, 'AWS::Route53::RecordSet')) {
      expect(record.Properties.HostedZoneId).toBe('Z0123456789ABCDEFGHIJ');
    }
  });
});
