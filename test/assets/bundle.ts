// What the suites that render Beanstalk bundles share.

/** One rendered file, by its path in the bundle. */
export function bundleFile(
  files: readonly { readonly path: string; readonly content: string }[],
  path: string,
): string {
  const file = files.find((candidate) => candidate.path === path);
  if (!file) throw new Error(`test setup: the bundle has no ${path}`);
  return file.content;
}
