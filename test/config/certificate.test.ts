// The imported certificate must cover every HTTPS host name the platform serves.
import { describe, expect, it } from 'vitest';
import { certificateCovers } from '../../src/config/certificate.ts';
import { parsePlatform } from '../../src/config/load.ts';
import { problemsOf, sample } from './support.ts';

describe('certificateCovers', () => {
  it.each([
    ['*.client.url', 'www.client.url', true],
    ['*.client.url', 'origin.client.url', true],
    ['*.client.url', 'client.url', false],
    ['*.client.url', 'a.b.client.url', false],
    ['*.client.url', 'wwwclient.url', false],
    ['client.url', 'client.url', true],
    ['client.url', 'www.client.url', false],
    ['*.Client.URL', 'WWW.client.url', true],
  ])('%s covers %s: %s', (pattern, host, expected) => {
    expect(certificateCovers(pattern, host)).toBe(expected);
  });
});

describe('certificate coverage in the configuration', () => {
  it('the sample covers every store name: the apex is listed beside the wildcard', () => {
    expect(() => parsePlatform(sample(), 'config/platform.ts')).not.toThrow();
  });

  it('a store host name the certificate does not cover is refused, naming the host', () => {
    // GIVEN the document's wildcard alone: it does not cover the apex
    const input = sample();
    input.certificate.coveredNames = ['*.client.url'];
    // WHEN it is parsed / THEN the apex is named, with the rule
    expect(problemsOf(input)).toEqual([
      'environments[0].magento.hostNames[0]: client.url is not covered by the certificate (certificate.coveredNames: *.client.url); a wildcard covers one label only',
    ]);
  });

  it('a name two labels below the wildcard is refused', () => {
    const input = sample();
    const preprod = input.environments[1];
    if (!preprod) throw new Error('test setup: the sample has preprod');
    preprod.magento.hostNames = ['shop.preprod.client.url'];
    expect(problemsOf(input)).toEqual([
      'environments[1].magento.hostNames[0]: shop.preprod.client.url is not covered by the certificate (certificate.coveredNames: *.client.url, client.url); a wildcard covers one label only',
    ]);
  });

  it('a certificate of another region is refused: a load balancer takes its own region', () => {
    const input = sample();
    input.certificate.arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-4697-8877-665544332211';
    expect(problemsOf(input)).toEqual([
      "certificate.arn: the certificate is in us-east-1, not the platform's region eu-west-3: a load balancer takes a certificate of its own region",
    ]);
  });
});
