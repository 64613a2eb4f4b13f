<?php
/**
 * storestack: writes Magento 2.4's app/etc/env.php on a Beanstalk instance, at every deploy.
 *
 * Shipped in the release bundle as .platform/storestack/render-env-php.php and run by the
 * prebuild hook 20-render-env-php.sh, which fetches the values from SSM and Secrets Manager.
 * Every input is an environment variable (listed in INPUTS below), so that no secret ever
 * sits on a command line, where `ps` and the process accounting show it. Nothing this script
 * prints contains a value: errors name the variable, never its content.
 *
 * Exit status: 0 when env.php was written, 2 when an input is missing or invalid (every
 * problem is listed), 1 when the file cannot be written.
 */

declare(strict_types=1);

/** Every input: variable name => what it holds. A default makes it optional. */
const INPUTS = [
    'STORESTACK_ENV_PHP' => ['the file to write, <release>/app/etc/env.php'],
    'STORESTACK_DB_HOST' => ['the MySQL endpoint'],
    'STORESTACK_DB_PORT' => ['the MySQL port', '3306'],
    'STORESTACK_DB_NAME' => ['the MySQL database name'],
    'STORESTACK_DB_USER' => ['the MySQL user'],
    'STORESTACK_DB_PASSWORD' => ['the MySQL password'],
    'STORESTACK_DB_SSL_CA' => ['the CA bundle that signs the RDS server certificate'],
    'STORESTACK_REDIS_CACHE_HOST' => ['the Redis (cache) primary endpoint'],
    'STORESTACK_REDIS_CACHE_PASSWORD' => ['the Redis (cache) AUTH token'],
    'STORESTACK_REDIS_SESSIONS_HOST' => ['the Redis (sessions) primary endpoint'],
    'STORESTACK_REDIS_SESSIONS_PASSWORD' => ['the Redis (sessions) AUTH token'],
    'STORESTACK_REDIS_PORT' => ['the Redis port', '6379'],
    'STORESTACK_OPENSEARCH_HOST' => ['the OpenSearch domain endpoint'],
    'STORESTACK_OPENSEARCH_PORT' => ['the OpenSearch HTTPS port', '443'],
    'STORESTACK_OPENSEARCH_USER' => ['the OpenSearch user'],
    'STORESTACK_OPENSEARCH_PASSWORD' => ['the OpenSearch password'],
    'STORESTACK_CRYPT_KEY' => ["Magento's crypt key (several keys one per line, after a key change)"],
    'STORESTACK_RELEASE_ID' => ['the release id (the RELEASE_ID file of the release)'],
    'STORESTACK_STATIC_VERSION' => ['the static content version (the STATIC_VERSION file of the release)'],
    'STORESTACK_CDN_STATIC_URL' => ['the static files CDN base URL'],
    'STORESTACK_CDN_MEDIA_URL' => ['the media CDN base URL'],
    'STORESTACK_ADMIN_FRONTNAME' => ["the admin path (Magento's backend/frontName)"],
    'STORESTACK_INSTALL_DATE' => ['install/date (Magento treats itself as installed when it is set)', ''],
];

const HOST_NAME = '/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/';

// The PDO MySQL attributes as the mysqlnd build of pdo_mysql numbers them (every current PHP
// build, Amazon Linux's and Debian's included). Used only where pdo_mysql is not loaded, as in a
// bare php-cli; Magento's hosts have it, and the constants are read from it there.
const MYSQLND_ATTRIBUTES = ['SSL_CA' => 1009, 'SSL_VERIFY_SERVER_CERT' => 1014];

/** @param list<string> $errors */
function fail(array $errors, int $status): never
{
    foreach ($errors as $error) {
        fwrite(STDERR, "render-env-php: ERROR: {$error}\n");
    }
    exit($status);
}

/**
 * Reads every input, applying the defaults. Unset and empty are the same: an empty secret is
 * as wrong as a missing one.
 *
 * @param list<string> $errors
 * @return array<string, string>
 */
function readInputs(array &$errors): array
{
    $values = [];
    foreach (INPUTS as $name => $spec) {
        $value = getenv($name);
        if ($value === false || $value === '') {
            if (array_key_exists(1, $spec)) {
                $values[$name] = $spec[1];
                continue;
            }
            $errors[] = "{$name} is not set: it must hold {$spec[0]}";
            $values[$name] = '';
            continue;
        }
        $values[$name] = $value;
    }
    return $values;
}

/**
 * Checks each value that is set. Messages describe what is wrong with a value without
 * showing it: some of these are secrets.
 *
 * @param array<string, string> $in
 * @param list<string> $errors
 */
function validate(array $in, array &$errors): void
{
    $check = static function (string $name, bool $valid, string $expected) use ($in, &$errors): void {
        if ($in[$name] !== '' && !$valid) {
            $errors[] = "{$name} {$expected}";
        }
    };
    foreach (['STORESTACK_DB_HOST', 'STORESTACK_REDIS_CACHE_HOST', 'STORESTACK_REDIS_SESSIONS_HOST', 'STORESTACK_OPENSEARCH_HOST'] as $name) {
        $check($name, preg_match(HOST_NAME, $in[$name]) === 1, 'must be a bare host name (no scheme, port or path)');
    }
    foreach (['STORESTACK_DB_PORT', 'STORESTACK_REDIS_PORT', 'STORESTACK_OPENSEARCH_PORT'] as $name) {
        $port = $in[$name];
        $check($name, preg_match('/^[0-9]{1,5}$/', $port) === 1 && (int) $port >= 1 && (int) $port <= 65535, 'must be a port number, 1 to 65535');
    }
    $check('STORESTACK_DB_NAME', preg_match('/^[A-Za-z0-9_$]{1,64}$/', $in['STORESTACK_DB_NAME']) === 1, 'must be a MySQL database name (letters, digits, _ and $)');
    $check('STORESTACK_DB_SSL_CA', str_starts_with($in['STORESTACK_DB_SSL_CA'], '/') && is_file($in['STORESTACK_DB_SSL_CA']), 'must be the absolute path of an existing CA bundle');
    foreach (['STORESTACK_DB_USER', 'STORESTACK_DB_PASSWORD', 'STORESTACK_REDIS_CACHE_PASSWORD', 'STORESTACK_REDIS_SESSIONS_PASSWORD'] as $name) {
        $check($name, preg_match('/[\x00-\x1f]/', $in[$name]) === 0, 'must not contain control characters (a line break?)');
    }
    // Magento's OpenSearch client puts the credentials into a URL, https://user:password@host,
    // without encoding them: a #, ?, /, @ or \ would end the user part, and the host would be
    // wrong. Such a password has to be regenerated without those characters.
    $check('STORESTACK_OPENSEARCH_USER', preg_match('/^[^\s:#?\/@\\\\]+$/', $in['STORESTACK_OPENSEARCH_USER']) === 1, 'must not contain spaces or any of : # ? / @ \\ (Magento writes it into a URL unencoded)');
    $check('STORESTACK_OPENSEARCH_PASSWORD', preg_match('/^[^\s#?\/@\\\\]+$/', $in['STORESTACK_OPENSEARCH_PASSWORD']) === 1, 'must not contain spaces or any of # ? / @ \\ (Magento writes it into a URL unencoded): regenerate the secret without them');
    $check('STORESTACK_CRYPT_KEY', preg_match('/^\S+(\n\S+)*\n?$/', $in['STORESTACK_CRYPT_KEY']) === 1, 'must hold one key per line, without spaces');
    // Releases name cache entries and directories: plain characters only.
    $check('STORESTACK_RELEASE_ID', preg_match('/^[A-Za-z0-9._-]{1,64}$/', $in['STORESTACK_RELEASE_ID']) === 1, 'must be 1 to 64 letters, digits, ".", "_" or "-"');
    // Digits only: the static files of release N are served from version<N>/ (DESIGN.md, "Static files").
    $check('STORESTACK_STATIC_VERSION', preg_match('/^[0-9]{1,20}$/', $in['STORESTACK_STATIC_VERSION']) === 1, 'must be a number (the version<N> directory of the static files)');
    foreach (['STORESTACK_CDN_STATIC_URL', 'STORESTACK_CDN_MEDIA_URL'] as $name) {
        $check($name, preg_match('#^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/([^\s\'"\\\\]*/)?$#', $in[$name]) === 1, 'must be an https:// URL ending with a slash');
    }
    $check('STORESTACK_ADMIN_FRONTNAME', preg_match('/^[A-Za-z0-9_]{1,64}$/', $in['STORESTACK_ADMIN_FRONTNAME']) === 1, 'must be letters, digits or "_" (a Magento admin path)');
}

/** The value of a PDO MySQL attribute: from PHP 8.4's Pdo\Mysql, or PDO (deprecated in 8.5), or mysqlnd's number. */
function mysqlAttribute(string $name): int
{
    foreach (['Pdo\\Mysql::ATTR_' . $name, 'PDO::MYSQL_ATTR_' . $name] as $constant) {
        if (defined($constant)) {
            return (int) constant($constant);
        }
    }
    return MYSQLND_ATTRIBUTES[$name];
}

/**
 * The cache id prefix of a release. Zend_Cache, under Magento's cache, only accepts
 * [a-zA-Z0-9_] in an id, prefix included: every other character of the release id becomes _.
 */
function cacheIdPrefix(string $releaseId): string
{
    return preg_replace('/[^A-Za-z0-9_]/', '_', $releaseId) . '_';
}

/**
 * @param array<string, string> $in
 * @return array<string, mixed>
 */
function envPhp(array $in): array
{
    $dbHost = $in['STORESTACK_DB_HOST'] . ($in['STORESTACK_DB_PORT'] === '3306' ? '' : ':' . $in['STORESTACK_DB_PORT']);
    $idPrefix = cacheIdPrefix($in['STORESTACK_RELEASE_ID']);
    // ElastiCache encrypts in transit: Credis (under Magento's Redis cache and session handlers)
    // opens a TLS connection for a tls:// host, and checks the certificate against the system CAs.
    $redisCache = static fn (string $database, string $compress): array => [
        'server' => 'tls://' . $in['STORESTACK_REDIS_CACHE_HOST'],
        'port' => $in['STORESTACK_REDIS_PORT'],
        'password' => $in['STORESTACK_REDIS_CACHE_PASSWORD'],
        'database' => $database,
        'compress_data' => $compress,
        'compression_lib' => '',
    ];
    // Each release reads and writes its own cache entries: during a rolling deploy the old and the
    // new code run side by side, and must not read each other's configuration, layouts or pages.
    // Old entries age out (the cache group evicts least recently used keys).
    $cacheFrontend = static fn (string $database, string $compress): array => [
        'id_prefix' => $idPrefix,
        'backend' => 'Magento\\Framework\\Cache\\Backend\\Redis',
        'backend_options' => $redisCache($database, $compress),
    ];
    // The release's static files are published once into version<N>/ on the statics share and
    // served from there without stripping the version (DESIGN.md, "Static files"). Magento
    // normally reads N from pub/static/deployed_version.txt, but pub/static is the shared share: a
    // file there would be one version for every release live during a rolling deploy. So the
    // version goes into the base URL of this release's configuration, and the signature (which
    // would read that file) is off. Merging writes under pub/static/_cache, outside version<N>/,
    // where the URLs point: it stays off (bundling happens at build time, inside version<N>/).
    $staticUrl = $in['STORESTACK_CDN_STATIC_URL'] . 'version' . $in['STORESTACK_STATIC_VERSION'] . '/';
    $mediaUrl = $in['STORESTACK_CDN_MEDIA_URL'];
    $cacheTypes = [
        'config', 'layout', 'block_html', 'collections', 'reflection', 'db_ddl', 'compiled_config', 'eav',
        'customer_notification', 'config_integration', 'config_integration_api', 'graphql_query_resolver_result',
        'full_page', 'config_webservice', 'translate',
    ];

    return [
        'backend' => ['frontName' => $in['STORESTACK_ADMIN_FRONTNAME']],
        'crypt' => ['key' => rtrim($in['STORESTACK_CRYPT_KEY'], "\n")],
        'db' => [
            'table_prefix' => '',
            'connection' => [
                'default' => [
                    'host' => $dbHost,
                    'dbname' => $in['STORESTACK_DB_NAME'],
                    'username' => $in['STORESTACK_DB_USER'],
                    'password' => $in['STORESTACK_DB_PASSWORD'],
                    'model' => 'mysql4',
                    'engine' => 'innodb',
                    'initStatements' => 'SET NAMES utf8;',
                    'active' => '1',
                    // RDS requires secure transport (require_secure_transport=1), and the server
                    // certificate is checked against the RDS CA bundle: it is not in the system store.
                    'driver_options' => [
                        mysqlAttribute('SSL_CA') => $in['STORESTACK_DB_SSL_CA'],
                        mysqlAttribute('SSL_VERIFY_SERVER_CERT') => true,
                    ],
                ],
            ],
        ],
        'resource' => ['default_setup' => ['connection' => 'default']],
        'x-frame-options' => 'SAMEORIGIN',
        'MAGE_MODE' => 'production',
        // nginx serves the release's pub/ (the platform's document_root option is /pub): Magento
        // must not put /pub/ into the URLs it builds.
        'directories' => ['document_root_is_pub' => true],
        'session' => [
            'save' => 'redis',
            'redis' => [
                'host' => 'tls://' . $in['STORESTACK_REDIS_SESSIONS_HOST'],
                'port' => $in['STORESTACK_REDIS_PORT'],
                'password' => $in['STORESTACK_REDIS_SESSIONS_PASSWORD'],
                'timeout' => '2.5',
                'persistent_identifier' => '',
                'database' => '0',
                'compression_threshold' => '2048',
                'compression_library' => 'gzip',
                'log_level' => '1',
                'max_concurrency' => '6',
                'break_after_frontend' => '5',
                'break_after_adminhtml' => '30',
                'first_lifetime' => '600',
                'bot_first_lifetime' => '60',
                'bot_lifetime' => '7200',
                'disable_locking' => '0',
                'min_lifetime' => '60',
                'max_lifetime' => '2592000',
            ],
        ],
        'cache' => [
            'frontend' => [
                'default' => $cacheFrontend('0', '1'),
                // Pages are already compressed by the web server; compressing them again costs CPU.
                'page_cache' => $cacheFrontend('1', '0'),
            ],
        ],
        'cache_types' => array_fill_keys($cacheTypes, 1),
        // Configuration changes ship with releases: with blue/green on, app:config:import is not
        // demanded of every instance, and a new release does not lock out the old one still serving.
        'deployment' => ['blue_green' => ['enabled' => true]],
        'system' => [
            'default' => [
                'web' => [
                    'unsecure' => ['base_static_url' => $staticUrl, 'base_media_url' => $mediaUrl],
                    'secure' => ['base_static_url' => $staticUrl, 'base_media_url' => $mediaUrl],
                ],
                'dev' => [
                    'static' => ['sign' => '0'],
                    'js' => ['merge_files' => '0'],
                    'css' => ['merge_css_files' => '0'],
                ],
                'catalog' => [
                    'search' => [
                        'engine' => 'opensearch',
                        // The scheme in the host name is how Magento's client chooses HTTPS.
                        'opensearch_server_hostname' => 'https://' . $in['STORESTACK_OPENSEARCH_HOST'],
                        'opensearch_server_port' => $in['STORESTACK_OPENSEARCH_PORT'],
                        'opensearch_enable_auth' => '1',
                        'opensearch_username' => $in['STORESTACK_OPENSEARCH_USER'],
                        'opensearch_password' => $in['STORESTACK_OPENSEARCH_PASSWORD'],
                        'opensearch_server_timeout' => '15',
                    ],
                ],
            ],
        ],
        'install' => ['date' => $in['STORESTACK_INSTALL_DATE'] !== '' ? $in['STORESTACK_INSTALL_DATE'] : date('r')],
    ];
}

/**
 * Writes the file through a new file beside it, renamed over it, so that Magento never reads
 * half a file. Created 0640: the hook gives it to root:webapp.
 */
function writeAtomically(string $target, string $text): void
{
    $directory = dirname($target);
    if (!is_dir($directory)) {
        fail(["cannot write {$target}: {$directory} is not a directory"], 1);
    }
    $temporary = $directory . '/.env.php.' . bin2hex(random_bytes(6));
    $previousUmask = umask(0137);
    $handle = @fopen($temporary, 'x');
    umask($previousUmask);
    if ($handle === false) {
        fail(["cannot create a file in {$directory}"], 1);
    }
    $written = fwrite($handle, $text);
    $closed = fflush($handle) && fclose($handle);
    if ($written !== strlen($text) || !$closed || !chmod($temporary, 0640) || !rename($temporary, $target)) {
        @unlink($temporary);
        fail(["cannot write {$target}"], 1);
    }
}

function main(): void
{
    $errors = [];
    $in = readInputs($errors);
    validate($in, $errors);
    if ($errors !== []) {
        fail($errors, 2);
    }
    $text = "<?php\n"
        . "// Written at each deploy by storestack (.platform/storestack/render-env-php.php): edits are lost.\n"
        . 'return ' . var_export(envPhp($in), true) . ";\n";
    writeAtomically($in['STORESTACK_ENV_PHP'], $text);
    fwrite(STDOUT, "render-env-php: wrote {$in['STORESTACK_ENV_PHP']}\n");
}

main();
