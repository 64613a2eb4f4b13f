// Which host names a TLS certificate covers: the rule the load balancers and CloudFront
// apply, so that a name the imported certificate does not cover fails at config time
// instead of as a browser warning in production.

/**
 * True when `pattern` (a certificate name, possibly `*.` wildcard) covers `host`.
 * A wildcard covers exactly one label: `*.client.url` covers `www.client.url`, not
 * `client.url` and not `a.b.client.url`.
 */
export function certificateCovers(pattern: string, host: string): boolean {
  const name = pattern.toLowerCase();
  const target = host.toLowerCase();
  if (!name.startsWith('*.')) return name === target;
  const suffix = name.slice(1); // ".client.url"
  if (!target.endsWith(suffix)) return false;
  const label = target.slice(0, -suffix.length);
  return label.length > 0 && !label.includes('.');
}

/** The first pattern that covers `host`, or undefined. */
export function coveringName(patterns: readonly string[], host: string): string | undefined {
  return patterns.find((pattern) => certificateCovers(pattern, host));
}
