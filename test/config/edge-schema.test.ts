// The edge in config: CloudFront's certificate and the environment it fetches from.
import { describe, expect, it } from 'vitest';
import { problemsOf, sample } from './support.ts';

describe('edge', () => {
  it('refuses a CloudFront certificate outside us-east-1', () => {
    const input = sample();
    input.edge.cloudFrontCertificateArn =
      'arn:aws:acm:eu-west-3:123456789012:certificate/7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
    expect(problemsOf(input)).toEqual([
      'edge.cloudFrontCertificateArn: arn:aws:acm:eu-west-3:123456789012:certificate/7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d is not in us-east-1: CloudFront takes certificates from us-east-1 only (import the certificate there too)',
    ]);
  });

  it('refuses an environment the configuration does not have', () => {
    const input = sample();
    input.edge.environment = 'production';
    expect(problemsOf(input)).toEqual(['edge.environment: production is not one of environments (prod, preprod)']);
  });

  it('requires the media and static names to be covered by the certificate', () => {
    const input = sample();
    input.certificate.coveredNames = ['client.url', 'www.client.url', 'origin.client.url', 'preprod.client.url'];
    const problems = problemsOf(input);
    expect(problems).toContain(
      'certificate.coveredNames: media.client.url is not covered by the certificate (certificate.coveredNames: client.url, www.client.url, origin.client.url, preprod.client.url); a wildcard covers one label only',
    );
  });

  it('refuses a malformed hosted zone id', () => {
    const input = sample();
    input.edge.publicHostedZoneId = 'zone-1';
    expect(problemsOf(input)).toEqual(['edge.publicHostedZoneId: zone-1 is not a Route 53 hosted zone id']);
  });
});
