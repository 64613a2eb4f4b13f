// Releases (document: "Rundeck deployment process", "Deployment Process for the Production
// Environment"; DESIGN.md, "Releasing Magento"): where each application's code and bundle
// configuration come from, how a release is built, and how maintenance looks when one is needed.
import { z } from 'zod';
import { MAINTENANCE_PAGE_LIMIT_BYTES } from './alb-limits.ts';
import { cidrBlock, show } from './fields.ts';
import { RELEASE_APPLICATIONS, type ReleaseApplication } from './names.ts';

export { RELEASE_APPLICATIONS, type ReleaseApplication };

/** A git repository: ssh (`git@host:path.git`), https, or a local path / file URL (a mirror, tests). */
const repository = z
  .string()
  .regex(
    /^(?:git@[A-Za-z0-9.-]+:[A-Za-z0-9._/-]+|https:\/\/[A-Za-z0-9.-]+(?::\d+)?\/[A-Za-z0-9._/-]+|file:\/\/\/[A-Za-z0-9._/-]+|\/[A-Za-z0-9._/-]+)$/,
    {
      error: (issue) =>
        `${show(issue.input)} is not a git repository (git@host:path.git, https://host/path, or an absolute path)`,
    },
  );

const branch = z.string().regex(/^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}$/, {
  error: (issue) => `${show(issue.input)} is not a git branch name`,
});

/** A redirect the build writes into an Apache `.htaccess` (document: "change some redirection paths"). */
const redirect = z.strictObject({
  from: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, {
    error: (issue) => `${show(issue.input)} is not a path such as /old-page`,
  }),
  to: z.string().regex(/^(?:\/|https:\/\/)[A-Za-z0-9._~/:?=&%-]*$/, {
    error: (issue) => `${show(issue.input)} is not a path or an https URL`,
  }),
  status: z
    .union([z.literal(301), z.literal(302)])
    .default(301)
    .describe('301 or 302. Default: 301.'),
});

const applicationRelease = (defaultCommands: readonly string[]) =>
  z.strictObject({
    /** The application's code (document: the Magento repository). */
    repository,
    /**
     * The bundle configuration repository (document: "the Beanstalk configuration files"), merged
     * under the code; the files storestack renders win over its same-named ones.
     * Default: none, storestack's rendered bundle alone.
     */
    configRepository: repository.optional(),
    /** The configuration repository's branch per environment (document: prod, preprod). Default: the environment's name. */
    configBranches: z
      .record(z.string(), branch)
      .default({})
      .describe("The configuration repository's branch per environment. Default: the environment's name."),
    /**
     * The build commands, run in order in the checkout with no database credentials present.
     * `{releaseId}` stands for the release's numeric id.
     */
    buildCommands: z
      .array(z.string().min(1))
      .default([...defaultCommands])
      .describe(`The build commands, in order. Default: ${defaultCommands.join('; ')}.`),
    /** Redirects written into the application's `.htaccess` (Apache applications). */
    htaccess: z
      .strictObject({
        file: z
          .string()
          .regex(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]*\.htaccess$/, {
            error: (issue) => `${show(issue.input)} is not a relative path to an .htaccess file`,
          })
          .default('.htaccess')
          .describe('The .htaccess the redirects go into, relative to the checkout. Default: .htaccess.'),
        redirects: z.array(redirect).min(1),
      })
      .optional(),
  });

/** One `setup:static-content:deploy` run: an area, a theme, its locales (document: Client/dlm fr_FR; adminhtml en_US fr_FR). */
const staticContent = z.strictObject({
  area: z.enum(['frontend', 'adminhtml']),
  theme: z.string().regex(/^[A-Z][A-Za-z0-9]*\/[A-Za-z0-9_-]+$/, {
    error: (issue) => `${show(issue.input)} is not a theme such as Client/dlm`,
  }),
  locales: z
    .array(
      z
        .string()
        .regex(/^[a-z]{2}_[A-Z]{2}$/, { error: (issue) => `${show(issue.input)} is not a locale such as fr_FR` }),
    )
    .min(1),
});

export const MAGENTO_BUILD_COMMANDS = [
  'composer install --no-dev --no-interaction --no-progress --optimize-autoloader',
  'php bin/magento setup:di:compile',
] as const;
const APP_BUILD_COMMANDS = ['composer install --no-dev --no-interaction --no-progress --optimize-autoloader'] as const;

export { MAINTENANCE_PAGE_LIMIT_BYTES };

const DEFAULT_MAINTENANCE_PAGE =
  '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Maintenance</title></head>' +
  '<body style="font-family:sans-serif;text-align:center;padding:4em">' +
  '<h1>Maintenance en cours</h1><p>Le site revient dans quelques minutes.</p>' +
  '<h1>Maintenance in progress</h1><p>The store will be back in a few minutes.</p></body></html>';

export const releaseSchema = z.strictObject({
  applications: z.strictObject({
    magento: applicationRelease(MAGENTO_BUILD_COMMANDS).extend({
      /** The static content built per release, into `version<releaseId>/`. */
      staticContent: z
        .array(staticContent)
        .min(1)
        .default([
          { area: 'frontend', theme: 'Client/dlm', locales: ['fr_FR'] },
          { area: 'adminhtml', theme: 'Magento/backend', locales: ['en_US', 'fr_FR'] },
        ])
        .describe(
          'The static content each release builds. Default: frontend Client/dlm fr_FR; adminhtml Magento/backend en_US fr_FR.',
        ),
    }),
    pim: applicationRelease(APP_BUILD_COMMANDS),
    connector: applicationRelease(APP_BUILD_COMMANDS),
    mirakl: applicationRelease(APP_BUILD_COMMANDS),
  }),
  maintenance: z
    .strictObject({
      /**
       * Who still reaches the store during maintenance besides the NAT gateways (the smoke test and
       * Rundeck come from there): the staff's public addresses.
       */
      staffCidrs: z.array(cidrBlock).default([]).describe('Staff addresses that bypass maintenance. Default: none.'),
      /** The 503 page the ALB serves, at most 1024 bytes. */
      page: z
        .string()
        .min(1)
        .refine((page) => Buffer.byteLength(page) <= MAINTENANCE_PAGE_LIMIT_BYTES, {
          error: (issue) =>
            `is ${Buffer.byteLength(String(issue.input))} bytes: an ALB fixed response holds at most ${MAINTENANCE_PAGE_LIMIT_BYTES}`,
        })
        .default(DEFAULT_MAINTENANCE_PAGE)
        .describe('The maintenance page (at most 1024 bytes). Default: a bilingual notice.'),
    })
    .prefault({}),
  /** How many releases' `version<N>/` static directories are kept on the statics share. */
  keepStaticVersions: z.number().int().min(2).max(50).default(5).describe('Static versions kept. Default: 5.'),
  /** The expected `setup:upgrade` time, for the dry run's maintenance window. */
  migrationMinutesEstimate: z
    .number()
    .positive()
    .max(240)
    .default(10)
    .describe("A schema release's expected setup:upgrade time, in minutes, for --dry-run. Default: 10."),
});

export type ReleaseConfig = z.output<typeof releaseSchema>;
