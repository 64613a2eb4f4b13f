#!/bin/bash
# shellcheck disable=SC2154 # the MAGENTO_* settings come from the header render.ts writes.
#
# Beanstalk prebuild hook 20: writes the release's app/etc/env.php from the environment's SSM
# parameters and secrets, with the PHP renderer shipped beside the hooks
# (.platform/storestack/render-env-php.php). render.ts writes a header:
#   MAGENTO_PARAMETER_PATH  SSM path of the environment, e.g. /storestack/prod
#   MAGENTO_REGION          the region of the parameters and secrets
#   MAGENTO_CDN_STATIC_URL  the static files' CDN base URL, ending with /
#   MAGENTO_CDN_MEDIA_URL   the media CDN base URL, ending with /
#   MAGENTO_ADMIN_FRONTNAME Magento's admin path
#   MAGENTO_WEB_USER        the user PHP runs as (webapp), whose group may read env.php
# The build puts two files at the root of the release: RELEASE_ID (names the release; the cache
# entries of each release are its own) and STATIC_VERSION (the N of the release's version<N>/
# static files).
#
# Secrets never reach a command line (where ps shows them) nor the output: they travel in shell
# variables, through pipes, and into the renderer's environment. Nothing here turns on xtrace.
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/staging}"
readonly RENDERER="${STORESTACK_ENV_PHP_RENDERER:-${RELEASE_DIR}/.platform/storestack/render-env-php.php}"
# RDS signs its server certificates with its own CAs, which are not in the system trust store.
readonly DB_CA_FILE="${STORESTACK_DB_CA_FILE:-/etc/pki/tls/certs/storestack-rds-ca-bundle.pem}"
readonly DB_CA_URL="https://truststore.pki.rds.amazonaws.com/${MAGENTO_REGION}/${MAGENTO_REGION}-bundle.pem"

log() {
  printf 'storestack-env-php: %s\n' "$*"
}

fail() {
  printf 'storestack-env-php: ERROR: %s\n' "$*" >&2
  exit 1
}

# One line file written by the build at the release root.
RELEASE_FILE_VALUE=''
read_release_file() {
  local name="$1" file="${RELEASE_DIR}/$1"
  [[ -f ${file} ]] || fail "${file} is missing: the release build must write ${name} at the root of the bundle"
  RELEASE_FILE_VALUE="$(<"${file}")"
  RELEASE_FILE_VALUE="${RELEASE_FILE_VALUE%$'\n'}"
}

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
  local name="${MAGENTO_PARAMETER_PATH}/$1"
  PARAMETER="$(aws ssm get-parameter --region "${MAGENTO_REGION}" --name "${name}" \
    --query Parameter.Value --output text)" ||
    fail "cannot read the SSM parameter ${name} (the aws error is above)"
}

# The secret's value, read from the ARN held by an SSM parameter. The value is never printed.
SECRET=''
get_secret() {
  local parameter="$1" arn
  get_parameter "${parameter}"
  arn="${PARAMETER}"
  SECRET="$(aws secretsmanager get-secret-value --region "${MAGENTO_REGION}" --secret-id "${arn}" \
    --query SecretString --output text)" ||
    fail "cannot read the secret ${arn} (named by ${MAGENTO_PARAMETER_PATH}/${parameter}; the aws error is above)"
  [[ -n ${SECRET} ]] || fail "the secret ${arn} (named by ${MAGENTO_PARAMETER_PATH}/${parameter}) is empty"
}

# A string field of a JSON secret. The JSON goes through a pipe (printf is a shell builtin: no
# process shows it), and only the field's name is an argument.
FIELD=''
json_field() {
  local json="$1" field="$2" what="$3"
  # shellcheck disable=SC2016 # PHP code, not shell expansions.
  FIELD="$(printf '%s' "${json}" | php -d display_errors=stderr -r '
    $value = json_decode(stream_get_contents(STDIN), true);
    $field = $value[$argv[1]] ?? null;
    if (!is_string($field) && !is_int($field)) exit(3);
    echo $field;' "${field}")" ||
    fail "${what}: the secret is not JSON with a \"${field}\" field"
}

main() {
  local release_id static_version db_host db_secret db_user db_password db_name db_port
  local cache_host cache_token sessions_host sessions_token search_host search_secret search_user
  local search_password crypt_key env_php="${RELEASE_DIR}/app/etc/env.php"

  command -v php >/dev/null || fail 'php is not installed: the PHP platform provides it'
  [[ -f ${RENDERER} ]] || fail "the env.php renderer ${RENDERER} is missing from the bundle"
  read_release_file RELEASE_ID
  release_id="${RELEASE_FILE_VALUE}"
  read_release_file STATIC_VERSION
  static_version="${RELEASE_FILE_VALUE}"
  ensure_db_ca

  get_parameter database/endpoint
  db_host="${PARAMETER}"
  # Not from the secret: the one RDS attaches holds engine, host, port, username and password.
  get_parameter database/name
  db_name="${PARAMETER}"
  get_secret database/secret-arn
  db_secret="${SECRET}"
  json_field "${db_secret}" username 'database'
  db_user="${FIELD}"
  json_field "${db_secret}" password 'database'
  db_password="${FIELD}"
  json_field "${db_secret}" port 'database'
  db_port="${FIELD}"

  get_parameter redis/cache-endpoint
  cache_host="${PARAMETER}"
  get_secret redis/cache-secret-arn
  cache_token="${SECRET}"
  get_parameter redis/sessions-endpoint
  sessions_host="${PARAMETER}"
  get_secret redis/sessions-secret-arn
  sessions_token="${SECRET}"

  get_parameter opensearch/endpoint
  search_host="${PARAMETER}"
  get_secret opensearch/secret-arn
  search_secret="${SECRET}"
  json_field "${search_secret}" username 'OpenSearch'
  search_user="${FIELD}"
  json_field "${search_secret}" password 'OpenSearch'
  search_password="${FIELD}"

  get_secret magento/crypt-key-secret-arn
  crypt_key="${SECRET}"

  mkdir -p "${env_php%/*}"
  STORESTACK_ENV_PHP="${env_php}" \
    STORESTACK_DB_HOST="${db_host}" \
    STORESTACK_DB_PORT="${db_port}" \
    STORESTACK_DB_NAME="${db_name}" \
    STORESTACK_DB_USER="${db_user}" \
    STORESTACK_DB_PASSWORD="${db_password}" \
    STORESTACK_DB_SSL_CA="${DB_CA_FILE}" \
    STORESTACK_REDIS_CACHE_HOST="${cache_host}" \
    STORESTACK_REDIS_CACHE_PASSWORD="${cache_token}" \
    STORESTACK_REDIS_SESSIONS_HOST="${sessions_host}" \
    STORESTACK_REDIS_SESSIONS_PASSWORD="${sessions_token}" \
    STORESTACK_OPENSEARCH_HOST="${search_host}" \
    STORESTACK_OPENSEARCH_USER="${search_user}" \
    STORESTACK_OPENSEARCH_PASSWORD="${search_password}" \
    STORESTACK_CRYPT_KEY="${crypt_key}" \
    STORESTACK_RELEASE_ID="${release_id}" \
    STORESTACK_STATIC_VERSION="${static_version}" \
    STORESTACK_CDN_STATIC_URL="${MAGENTO_CDN_STATIC_URL}" \
    STORESTACK_CDN_MEDIA_URL="${MAGENTO_CDN_MEDIA_URL}" \
    STORESTACK_ADMIN_FRONTNAME="${MAGENTO_ADMIN_FRONTNAME}" \
    php "${RENDERER}" || fail "the env.php renderer refused its input (its errors are above)"

  # Readable by PHP (the web user's group), writable by root alone: it holds every credential.
  chown "root:${MAGENTO_WEB_USER}" "${env_php}"
  chmod 0640 "${env_php}"
  # The renderer writes with var_export, so this only fails on a broken PHP; its message could
  # quote the file, so it is not shown.
  php -l "${env_php}" >/dev/null 2>&1 || fail "${env_php} does not parse (php -l)"
  log "wrote ${env_php} for release ${release_id} (static files version${static_version})"
}

main "$@"
