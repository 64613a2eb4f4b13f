#!/bin/bash
# shellcheck disable=SC2154 # The RUNDECK_*, COMPOSER_* and STORESTACK_* settings come from the header render.ts writes; MOUNT_POINT, FILE_CHANGED and replace_file from bootstrap-volume.sh, which runs before this body.
#
# Rundeck server set-up (hosting document 6.B), after bootstrap-volume.sh has mounted the data
# volume at MOUNT_POINT (/var/lib/rundeck, Rundeck's RDECK_BASE: its H2 database, execution logs,
# key storage and plugins all live there). Installs Java 17, Rundeck, and the release build tools
# (PHP CLI, git, a pinned composer, Node.js and storestack's launcher); configures the web UI on port 4440 under the internal name;
# replaces the RPM's admin/admin login with the generated password kept in Secrets Manager;
# starts Rundeck; then creates the project and imports the jobs through the API, with a static
# token kept on the volume. Running it again changes nothing.
set -euo pipefail

readonly ETC_RUNDECK="${STORESTACK_RUNDECK_ETC:-/etc/rundeck}"
readonly SYSCONFIG_RUNDECKD="${STORESTACK_RUNDECK_SYSCONFIG:-/etc/sysconfig/rundeckd}"
readonly REPO_FILE="${STORESTACK_REPO_FILE:-/etc/yum.repos.d/rundeck.repo}"
readonly UNIT_DROP_IN_DIR="${STORESTACK_UNIT_DROP_IN_DIR:-/etc/systemd/system/rundeckd.service.d}"
readonly COMPOSER_BIN="${STORESTACK_COMPOSER_BIN:-/usr/local/bin/composer}"
readonly LAUNCHER_FILE="${STORESTACK_LAUNCHER_FILE:-${STORESTACK_COMMAND}}"
readonly API_URL="${STORESTACK_RUNDECK_API_URL:-http://127.0.0.1:4440}/api/41"
readonly START_SECONDS="${STORESTACK_RUNDECK_START_SECONDS:-${RUNDECK_START_SECONDS}}"
readonly API_POLL_SECONDS="${STORESTACK_POLL_SECONDS:-5}"
# On the volume, readable by root only (the token is an admin's); tokens.properties by Rundeck too.
readonly STATE_DIR="${MOUNT_POINT}/storestack"
readonly TOKENS_FILE="${STATE_DIR}/tokens.properties"
readonly TOKEN_HEADER="${STATE_DIR}/api-token.header"
readonly JOBS_FILE="${STATE_DIR}/jobs.yaml"
readonly TOKEN_USER='storestack-bootstrap'

CONFIG_CHANGED=false

log() {
  printf 'storestack-rundeck: %s\n' "$*"
}

fail() {
  printf 'storestack-rundeck: ERROR: %s\n' "$*" >&2
  exit 1
}

# Gives `key` the value `value` in a Java properties file: the line setting it is replaced (the
# first one; later ones are dropped), or the setting is appended. Sets CONFIG_CHANGED on a change.
set_property() {
  local file="$1" key="$2" value="$3" current='' content
  if [[ -f ${file} ]]; then current="$(<"${file}")"; fi
  content="$(
    printf '%s' "${current}" | KEY="${key}" LINE="${key}=${value}" awk '
      { k = $0; sub(/^[ \t]+/, "", k); sub(/[ \t]*[=:].*$/, "", k) }
      $0 !~ /^[ \t]*[#!]/ && k == ENVIRON["KEY"] { if (!done) print ENVIRON["LINE"]; done = 1; next }
      { print }
      END { if (!done) print ENVIRON["LINE"] }
    '
  )"
  replace_file "${file}" "${content}"
  if [[ ${FILE_CHANGED} == true ]]; then CONFIG_CHANGED=true; fi
}

install_packages() {
  local package
  local -a missing=()
  replace_file "${REPO_FILE}" "[rundeck]
name=Rundeck
baseurl=${RUNDECK_REPO_BASEURL}
enabled=1
gpgcheck=0
repo_gpgcheck=1
gpgkey=${RUNDECK_REPO_GPGKEY}
sslverify=1
metadata_expire=300"
  for package in "${RUNDECK_PACKAGES[@]}"; do
    rpm -q --quiet "${package}" || missing+=("${package}")
  done
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    dnf install -y -q "${missing[@]}"
  fi
}

# Composer is not packaged for Amazon Linux 2023: a pinned composer.phar version, checked against
# a SHA-256 before it is installed (the rendered one, or else the checksum getcomposer.org
# publishes beside the release, COMPOSER_URL.sha256sum), and left alone when the installed one is it.
COMPOSER_EXPECTED=''
composer_checksum() {
  local published
  if [[ -n ${COMPOSER_SHA256} ]]; then
    COMPOSER_EXPECTED="${COMPOSER_SHA256}"
    return 0
  fi
  published="$(curl --fail --silent --show-error --location --retry 5 "${COMPOSER_URL}.sha256sum")" ||
    fail "cannot read ${COMPOSER_URL}.sha256sum; composer not installed"
  COMPOSER_EXPECTED="${published%% *}"
  [[ ${COMPOSER_EXPECTED} =~ ^[0-9a-f]{64}$ ]] ||
    fail "${COMPOSER_URL}.sha256sum holds no SHA-256; composer not installed"
}

install_composer() {
  local temporary
  composer_checksum
  if [[ -f ${COMPOSER_BIN} ]] && printf '%s  %s\n' "${COMPOSER_EXPECTED}" "${COMPOSER_BIN}" | sha256sum --check --status; then
    return 0
  fi
  log "installing composer from ${COMPOSER_URL}"
  temporary="$(mktemp "${COMPOSER_BIN}.storestack.XXXXXX")"
  curl --fail --silent --show-error --location --retry 5 --output "${temporary}" "${COMPOSER_URL}"
  if ! printf '%s  %s\n' "${COMPOSER_EXPECTED}" "${temporary}" | sha256sum --check --status; then
    rm -f "${temporary}"
    fail "${COMPOSER_URL} does not have the SHA-256 ${COMPOSER_EXPECTED}; composer not installed"
  fi
  chmod 755 "${temporary}"
  mv -f "${temporary}" "${COMPOSER_BIN}"
}

# storestack's launcher, the command the jobs run (see storestack-launcher.sh): it installs the
# operations package the Ops stack last deployed under PACKAGES_DIR, writable by the jobs' user.
install_storestack() {
  local packages="${LAUNCHER_FILE%/bin/*}/packages"
  mkdir -p "${LAUNCHER_FILE%/*}" "${packages}"
  replace_file "${LAUNCHER_FILE}" "${STORESTACK_LAUNCHER}" 755
  : >>"${packages}/.lock"
  chown rundeck:rundeck "${packages}" "${packages}/.lock"
  chmod 755 "${packages}"
}

# A static API token (Rundeck's rundeck.tokens.file), made once and kept on the volume: the
# project and the jobs are imported with it. The curl header file keeps it out of the process list.
ensure_token() {
  local token
  mkdir -p "${STATE_DIR}"
  chown root:rundeck "${STATE_DIR}"
  chmod 750 "${STATE_DIR}"
  if [[ ! -s ${TOKEN_HEADER} || ! -s ${TOKENS_FILE} ]]; then
    log "creating the API token of ${TOKEN_USER}"
    token="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    (
      umask 077
      printf 'X-Rundeck-Auth-Token: %s\n' "${token}" >"${TOKEN_HEADER}"
      printf '%s: %s, admin\n' "${TOKEN_USER}" "${token}" >"${TOKENS_FILE}"
    )
    chown root:rundeck "${TOKENS_FILE}"
    chmod 640 "${TOKENS_FILE}"
    CONFIG_CHANGED=true
  fi
}

# The web login: the RPM ships admin/admin. The one user is admin, with the password generated in
# Secrets Manager (RUNDECK_ADMIN_SECRET, {"username":"admin","password":...}), which realm.properties
# keeps as an MD5 hash (Jetty's MD5: form). The password never reaches a command line.
configure_login() {
  local secret password hash realm="${ETC_RUNDECK}/realm.properties"
  secret="$(aws secretsmanager get-secret-value --region "${RUNDECK_REGION}" --secret-id "${RUNDECK_ADMIN_SECRET}" \
    --query SecretString --output text)" || fail "cannot read Rundeck's admin password from the secret ${RUNDECK_ADMIN_SECRET}"
  password="$(jq -r '.password // empty' <<<"${secret}" 2>/dev/null)" || true
  [[ -n ${password} ]] || fail "the secret ${RUNDECK_ADMIN_SECRET} holds no password"
  hash="$(printf '%s' "${password}" | md5sum)"
  replace_file "${realm}" "admin:MD5:${hash%% *},user,admin" 640
  if [[ ${FILE_CHANGED} == true ]]; then CONFIG_CHANGED=true; fi
  chown root:rundeck "${realm}"
  chmod 640 "${realm}"
}

configure_rundeck() {
  set_property "${ETC_RUNDECK}/rundeck-config.properties" grails.serverURL "${RUNDECK_SERVER_URL}"
  set_property "${ETC_RUNDECK}/rundeck-config.properties" server.address 0.0.0.0
  set_property "${ETC_RUNDECK}/rundeck-config.properties" server.port 4440
  set_property "${ETC_RUNDECK}/framework.properties" framework.server.url "${RUNDECK_SERVER_URL}"
  set_property "${ETC_RUNDECK}/framework.properties" framework.server.port 4440
  set_property "${ETC_RUNDECK}/framework.properties" rundeck.tokens.file "${TOKENS_FILE}"
  # The service's environment (written whole, edits are overwritten), inherited by the jobs:
  # storestack's AWS calls use the region.
  replace_file "${SYSCONFIG_RUNDECKD}" "RDECK_HTTP_PORT=4440
AWS_REGION=${RUNDECK_REGION}
AWS_DEFAULT_REGION=${RUNDECK_REGION}
export AWS_REGION AWS_DEFAULT_REGION"
  if [[ ${FILE_CHANGED} == true ]]; then CONFIG_CHANGED=true; fi
  # Never start on the root volume: without the data volume mounted (nofail lets the boot go on),
  # Rundeck would start afresh and its data would be written beside the mount point.
  mkdir -p "${UNIT_DROP_IN_DIR}"
  replace_file "${UNIT_DROP_IN_DIR}/10-storestack.conf" "[Unit]
RequiresMountsFor=${MOUNT_POINT}"
  if [[ ${FILE_CHANGED} == true ]]; then
    systemctl daemon-reload
    CONFIG_CHANGED=true
  fi
  chown rundeck:rundeck "${MOUNT_POINT}"
}

# Calls the API: api <method> <path> [curl arguments...]. Prints the HTTP status (000 when
# nothing answers); the body goes to API_BODY (a file).
API_BODY=''
api() {
  local method="$1" path="$2"
  shift 2
  curl --silent --show-error --output "${API_BODY}" --write-out '%{http_code}' --request "${method}" \
    --header @"${TOKEN_HEADER}" --header 'Accept: application/json' "$@" "${API_URL}${path}" || true
}

wait_for_api() {
  local deadline=$((SECONDS + START_SECONDS))
  until [[ "$(api GET /system/info)" == 200 ]]; do
    ((SECONDS < deadline)) || fail "Rundeck does not answer at ${API_URL} after ${START_SECONDS} s; see /var/log/rundeck"
    sleep "${API_POLL_SECONDS}"
  done
}

import_jobs() {
  local status
  status="$(api GET "/project/${RUNDECK_PROJECT}")"
  if [[ ${status} == 404 ]]; then
    log "creating the project ${RUNDECK_PROJECT}"
    status="$(api POST /projects --header 'Content-Type: application/json' \
      --data-binary "{\"name\":\"${RUNDECK_PROJECT}\"}")"
    [[ ${status} == 201 ]] || fail "creating the project ${RUNDECK_PROJECT}: HTTP ${status}: $(<"${API_BODY}")"
  elif [[ ${status} != 200 ]]; then
    fail "looking up the project ${RUNDECK_PROJECT}: HTTP ${status}: $(<"${API_BODY}")"
  fi
  replace_file "${JOBS_FILE}" "${RUNDECK_JOBS_YAML}" 600
  # dupeOption=update and uuidOption=preserve: a job already there (same uuid) is updated in place.
  status="$(api POST "/project/${RUNDECK_PROJECT}/jobs/import?fileformat=yaml&dupeOption=update&uuidOption=preserve" \
    --header 'Content-Type: application/yaml' --data-binary @"${JOBS_FILE}")"
  [[ ${status} == 200 ]] || fail "importing the jobs into ${RUNDECK_PROJECT}: HTTP ${status}: $(<"${API_BODY}")"
  jq --exit-status '(.failed | length) == 0 and (.skipped | length) == 0' "${API_BODY}" >/dev/null ||
    fail "importing the jobs into ${RUNDECK_PROJECT}: $(<"${API_BODY}")"
  log "imported $(jq '.succeeded | length' "${API_BODY}") job(s) into ${RUNDECK_PROJECT}"
}

setup_rundeck() {
  [[ ${START_SECONDS} =~ ^[0-9]+$ ]] || fail "the start timeout must be a whole number of seconds (got '${START_SECONDS}')"
  install_packages
  install_composer
  install_storestack
  ensure_token
  configure_login
  configure_rundeck
  systemctl enable rundeckd
  if [[ ${CONFIG_CHANGED} == true ]]; then
    log 'configuration changed, (re)starting rundeckd'
    systemctl restart rundeckd
  else
    systemctl start rundeckd
  fi
  API_BODY="$(mktemp)"
  wait_for_api
  import_jobs
  rm -f "${API_BODY}"
  log "Rundeck is up at ${RUNDECK_SERVER_URL}"
}

setup_rundeck
