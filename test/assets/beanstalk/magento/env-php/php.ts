// The real PHP CLI, which the env.php tests run. Missing, it fails those tests (never skips them).
import { findOnPath } from '../../../stubbed-commands.ts';

/** The Debian package that provides `php` (CI installs it). */
export const PHP_PACKAGE = 'php8.2-cli';

/** The path of `php`, or an error that names the package to install. */
export function requirePhp(): string {
  const php = findOnPath('php');
  if (!php) {
    throw new Error(
      `php is not installed, and this test runs the real PHP CLI: install it (apt-get install ${PHP_PACKAGE}, ` +
        'or your system package manager) and run the tests again',
    );
  }
  return php;
}
