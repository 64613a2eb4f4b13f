// The Magento web tier's settings: the pinned platform, health check, deployment timeout, PHP
// limits, and the per-environment names and load balancer.
import { describe, expect, it } from 'vitest';
import { parsePlatform } from '../../src/config/load.ts';
import { phpSettingsSchema } from '../../src/config/magento-schema.ts';
import { problemsOf, sample } from './support.ts';

describe('magento (the web tier)', () => {
  it('fills the defaults the sample leaves out', () => {
    const input = sample();
    input.magento = { mounts: input.magento.mounts, solutionStackName: input.magento.solutionStackName };
    delete input.environments[1]?.magento.loadBalancer;
    const platform = parsePlatform(input, 'test.json');

    expect(platform.magento.healthCheck).toEqual({ path: '/pub/health_check.php', deregistrationDelaySeconds: 120 });
    expect(platform.magento.deployment).toEqual({ timeoutSeconds: 1800 });
    expect(platform.magento.php).toEqual(phpSettingsSchema.parse({}));
    expect(platform.magento.logRetentionDays).toBe(365);
    expect(platform.environments[1]?.magento.loadBalancer).toEqual({ deletionProtection: true });
  });

  it('requires the platform pin', () => {
    const input = sample() as { magento: Record<string, unknown> };
    delete input.magento.solutionStackName;
    expect(problemsOf(input)).toEqual(['magento.solutionStackName: is required']);
  });

  it.each([
    '64bit Amazon Linux 2 v3.9.0 running PHP 8.1',
    '64bit Amazon Linux 2023 v4.7.5 running Node.js 22',
    '64bit Amazon Linux 2023 running PHP 8.3',
  ])('refuses the platform %j: the bundle is for Amazon Linux 2023 PHP', (name) => {
    const input = sample();
    input.magento.solutionStackName = name;
    const [problem] = problemsOf(input);
    expect(problem).toMatch(/^magento\.solutionStackName: ".*" is not an Amazon Linux 2023 PHP platform/);
  });

  it('refuses a health check path that is not an absolute URL path', () => {
    const input = sample();
    input.magento.healthCheck = { path: 'pub/health_check.php' };
    expect(problemsOf(input)).toEqual([
      'magento.healthCheck.path: "pub/health_check.php" must be a plain URL path like /pub/health_check.php: letters, digits, ".", "_", "~", "-" between single slashes, no query, no trailing slash',
    ]);
  });

  it.each([
    ['/index.php', '/index.php is another Magento entry point; use /pub/health_check.php'],
    ['/pub/static/health.txt', '/pub/static/health.txt must not be under /static/ or /media/, which serve files'],
  ])('refuses the health check path %s, which the nginx rules would not send to health_check.php', (path, problem) => {
    const input = sample();
    input.magento.healthCheck = { path };
    expect(problemsOf(input)).toEqual([`magento.healthCheck.path: ${problem}`]);
  });

  it('refuses a deployment timeout shorter than a Magento deploy', () => {
    const input = sample();
    input.magento.deployment = { timeoutSeconds: 300 };
    expect(problemsOf(input)).toEqual(['magento.deployment.timeoutSeconds: Too small: expected number to be >=600']);
  });

  it('names each invalid PHP setting with its path', () => {
    const input = sample();
    input.magento.php = { memoryLimit: '-1', maxInputVars: 10 };
    expect(problemsOf(input)).toEqual([
      'magento.php.memoryLimit: "-1" is not a PHP size: a whole number above zero with an optional K, M or G, e.g. 64M (-1, unlimited, is refused)',
      'magento.php.maxInputVars: must be a whole number of at least 1000 (got 10)',
    ]);
  });

  it('refuses PHP limits that contradict each other', () => {
    const input = sample();
    input.magento.php = { memoryLimit: '32M', uploadMaxFilesize: '128M' };
    expect(problemsOf(input)).toEqual([
      'magento.php.postMaxSize: 64M is below uploadMaxFilesize 128M: an upload that size would be dropped whole',
      'magento.php.memoryLimit: 32M is below postMaxSize 64M: PHP could not hold the largest request it accepts',
    ]);
  });

  it('refuses more store names than the back office rule holds', () => {
    const input = sample();
    const prod = input.environments[0];
    if (!prod) throw new Error('the sample has prod first');
    prod.magento.hostNames = ['client.url', 'www.client.url', 'origin.client.url', 'shop.client.url'];
    expect(problemsOf(input)).toEqual([
      "environments[0].magento.hostNames: at most 3 names: the back office's /backend/* rule holds them, its path and the environment's CNAME Beanstalk adds, and an ALB rule holds 5 condition values",
    ]);
  });
});
