#!/bin/bash
# shellcheck disable=SC2154 # the APP_* settings come from the header render.ts writes.
#
# Beanstalk prebuild hook 10 of the satellite apps (PIM, connector, Mirakl): writes the
# application's credentials into .env.local at the root of the release (Symfony reads it after
# .env), from the SSM parameters the AppsData stack publishes and the database's secret:
#   APP_ENV=prod
#   DATABASE_URL='mysql://<user>:<password>@<endpoint>:<port>/<dbname>?serverVersion=..&charset=utf8mb4&..'
# user and password URL-encoded; the query also names the RDS CA bundle (driverOptions 1009,
# PDO::MYSQL_ATTR_SSL_CA, and 1014, verify the server certificate): the database refuses
# connections without TLS (require_secure_transport). render.ts writes a header:
#   APP_NAME                  pim, connector or mirakl, for the messages
#   APP_REGION                the region of the parameters and the secret
#   APP_ENDPOINT_PARAMETER    SSM parameter holding the MySQL endpoint
#   APP_SECRET_ARN_PARAMETER  SSM parameter holding the ARN of the database secret, a JSON object
#                             with username, password and, optionally, port and dbname
#   APP_DATABASE_NAME         the schema, when the secret has no dbname
#   APP_MYSQL_SERVER_VERSION  Doctrine's serverVersion, e.g. 8.4
#   APP_WEB_USER              the user PHP runs as (webapp), whose group may read the file
# The file is root:webapp 0640, written to a temporary file renamed over it.
#
# Secrets never reach a command line (where ps shows them) nor the output: they travel in shell
# variables and through pipes. Nothing here turns on xtrace.
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/staging}"
readonly ENV_FILE="${RELEASE_DIR}/.env.local"
# RDS signs its server certificates with its own CAs, which are not in the system trust store.
readonly DB_CA_FILE="${STORESTACK_DB_CA_FILE:-/etc/pki/tls/certs/storestack-rds-ca-bundle.pem}"
readonly DB_CA_URL="https://truststore.pki.rds.amazonaws.com/${APP_REGION}/${APP_REGION}-bundle.pem"

log() {
  printf 'storestack-%s-credentials: %s\n' "${APP_NAME}" "$*"
}

fail() {
  printf 'storestack-%s-credentials: ERROR: %s\n' "${APP_NAME}" "$*" >&2
  exit 1
}

TEMPORARY=''
cleanup() {
  if [[ -n ${TEMPORARY} ]]; then rm -f "${TEMPORARY}"; fi
}
trap cleanup EXIT

# Downloads the region's RDS CA bundle once per instance (over HTTPS, checked against the system
# CAs), unless it is there already.
ensure_db_ca() {
  local temporary
  if [[ -s ${DB_CA_FILE} ]] && grep -q 'BEGIN CERTIFICATE' "${DB_CA_FILE}"; then return 0; fi
  log "downloading the RDS CA bundle ${DB_CA_URL} to ${DB_CA_FILE}"
  mkdir -p "${DB_CA_FILE%/*}"
  temporary="$(mktemp "${DB_CA_FILE}.XXXXXX")"
  if ! curl --fail --silent --show-error --max-time 60 --retry 3 --output "${temporary}" "${DB_CA_URL}" ||
    ! grep -q 'BEGIN CERTIFICATE' "${temporary}"; then
    rm -f "${temporary}"
    fail "cannot download the RDS CA bundle from ${DB_CA_URL}; MySQL connections need it (place it at ${DB_CA_FILE} to skip the download)"
  fi
  chmod 644 "${temporary}"
  mv -f "${temporary}" "${DB_CA_FILE}"
}

PARAMETER=''
get_parameter() {
  local name="$1"
  PARAMETER="$(aws ssm get-parameter --region "${APP_REGION}" --name "${name}" \
    --query Parameter.Value --output text)" ||
    fail "cannot read the SSM parameter ${name} (the aws error is above)"
  [[ -n ${PARAMETER} && ${PARAMETER} != None ]] || fail "the SSM parameter ${name} is empty"
}

# The secret's value, read from the ARN held by an SSM parameter. The value is never printed.
SECRET=''
get_secret() {
  local parameter="$1" arn
  get_parameter "${parameter}"
  arn="${PARAMETER}"
  SECRET="$(aws secretsmanager get-secret-value --region "${APP_REGION}" --secret-id "${arn}" \
    --query SecretString --output text)" ||
    fail "cannot read the secret ${arn} (named by ${parameter}; the aws error is above)"
  [[ -n ${SECRET} ]] || fail "the secret ${arn} (named by ${parameter}) is empty"
}

# DATABASE_URL's value from the secret (through a pipe: printf is a shell builtin, no process
# shows it) and the endpoint. PHP reports a missing or invalid field by its name, never its value.
DATABASE_URL=''
database_url() {
  local secret="$1" host="$2" what="$3"
  # shellcheck disable=SC2016 # PHP code, not shell expansions.
  DATABASE_URL="$(printf '%s' "${secret}" | php -d display_errors=stderr -r '
    [, $host, $defaultName, $serverVersion, $caFile] = $argv;
    $secret = json_decode(stream_get_contents(STDIN), true);
    $refuse = function (string $why): void { fwrite(STDERR, $why . "\n"); exit(3); };
    if (!is_array($secret) || array_is_list($secret)) $refuse("the secret is not a JSON object");
    foreach (["username", "password"] as $field) {
      if (!is_string($secret[$field] ?? null) || $secret[$field] === "") $refuse("the secret has no \"$field\" string");
    }
    $port = $secret["port"] ?? 3306;
    if (is_string($port) && ctype_digit($port)) $port = (int) $port;
    if (!is_int($port) || $port < 1 || $port > 65535) $refuse("the \"port\" of the secret is not a TCP port");
    $name = $secret["dbname"] ?? $defaultName;
    if (!is_string($name) || !preg_match("/^[A-Za-z0-9_]{1,64}\$/D", $name)) {
      $refuse("the \"dbname\" of the secret is not a MySQL schema name");
    }
    $query = "serverVersion=" . rawurlencode($serverVersion) . "&charset=utf8mb4"
      . "&driverOptions[1009]=" . str_replace("%2F", "/", rawurlencode($caFile)) . "&driverOptions[1014]=1";
    echo "mysql://", rawurlencode($secret["username"]), ":", rawurlencode($secret["password"]),
      "@", $host, ":", $port, "/", $name, "?", $query;' \
    "${host}" "${APP_DATABASE_NAME}" "${APP_MYSQL_SERVER_VERSION}" "${DB_CA_FILE}")" ||
    fail "${what}: the secret cannot give the database's credentials (the reason is above)"
}

main() {
  local host

  [[ -d ${RELEASE_DIR} ]] || fail "the release directory ${RELEASE_DIR} does not exist"
  command -v php >/dev/null || fail 'php is not installed: the PHP platform provides it'
  # Symfony reads .env.local.php instead of every .env file when it exists (composer dump-env).
  [[ ! -e ${RELEASE_DIR}/.env.local.php ]] ||
    fail "the release has .env.local.php, which Symfony would read instead of the .env.local this hook writes: leave it out of the build"
  ensure_db_ca

  get_parameter "${APP_ENDPOINT_PARAMETER}"
  host="${PARAMETER}"
  [[ ${host} =~ ^[A-Za-z0-9.-]+$ ]] || fail "the SSM parameter ${APP_ENDPOINT_PARAMETER} is not a host name"
  get_secret "${APP_SECRET_ARN_PARAMETER}"
  database_url "${SECRET}" "${host}" "the secret named by ${APP_SECRET_ARN_PARAMETER}"

  # The URL holds letters, digits and -._~%:/@?=&[] only (the credentials are URL-encoded):
  # single quotes keep it literal for Symfony's Dotenv.
  TEMPORARY="$(mktemp "${ENV_FILE}.XXXXXX")"
  printf '%s\n' \
    "# storestack: written at deploy by .platform/hooks/prebuild/10-credentials.sh; edits are overwritten." \
    'APP_ENV=prod' \
    "DATABASE_URL='${DATABASE_URL}'" >"${TEMPORARY}"
  # Readable by PHP (the web user's group), writable by root alone: it holds the credentials.
  chown "root:${APP_WEB_USER}" "${TEMPORARY}"
  chmod 0640 "${TEMPORARY}"
  mv -f "${TEMPORARY}" "${ENV_FILE}"
  TEMPORARY=''
  log "wrote ${ENV_FILE} (database ${host})"
}

main "$@"
