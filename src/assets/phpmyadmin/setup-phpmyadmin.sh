#!/bin/bash
# shellcheck disable=SC2154 # The PMA_* settings come from the header render.ts writes.
#
# phpMyAdmin set-up: EC2 user data for Amazon Linux 2023, in a private subnet. render.ts puts a
# header before this body:
#   PMA_VERSION, PMA_SHA256, PMA_URL   the pinned release, its tarball's SHA-256 and its URL
#   PMA_REGION                         the region of the SSM parameters
#   PMA_SERVER_LABELS                  each database server's label, shown at login
#   PMA_SERVER_PARAMETERS              each one's SSM parameter, holding host or host:port
#   PMA_CA_BUNDLE_URL, PMA_CA_BUNDLE   the RDS CA bundle, downloaded once
#   PMA_ROOT                           the symlink to the live release (phpmyadmin-<version> beside it)
#   PMA_TEMP_DIR                       phpMyAdmin's TempDir
#   PMA_SETTINGS                       the JSON config.inc.php reads: servers and secret
#   PMA_SECRET                         the root-only secret, 64 hex digits, generated once
#   PMA_NGINX_CONF                     where the nginx server goes
#   PMA_DEFAULT_PORT                   the port of an endpoint that names none
#   PMA_CONFIG, PMA_NGINX_SERVER       config.inc.php and the nginx server, as rendered
# Running it again changes nothing: the release, the CA bundle and the secret are kept, the
# endpoints are read again and the files are rewritten only when their content changes.
#
# The tests put every system location under STORESTACK_ROOT. The system commands are called by
# name, so the tests can stub them on PATH.
set -euo pipefail

readonly ROOT="${STORESTACK_ROOT:-}"
readonly RETRY_SECONDS="${STORESTACK_RETRY_SECONDS:-5}"
# php-fpm's pool runs as apache on Amazon Linux 2023.
readonly WEB_GROUP='apache'
readonly PACKAGES=(nginx php-fpm php-mysqlnd php-mbstring php-xml php-json)

readonly LINK="${ROOT}${PMA_ROOT}"
readonly RELEASE_NAME="${PMA_ROOT##*/}-${PMA_VERSION}"
readonly RELEASE_DIR="${LINK%/*}/${RELEASE_NAME}"
# Written last into an unpacked release: a release directory without it is not trusted.
readonly MARKER='.storestack-sha256'

WORK_DIR=''
cleanup() {
  if [[ -n ${WORK_DIR} ]]; then rm -rf -- "${WORK_DIR}"; fi
}
trap cleanup EXIT

log() {
  printf 'storestack-phpmyadmin: %s\n' "$*"
}

fail() {
  printf 'storestack-phpmyadmin: ERROR: %s\n' "$*" >&2
  exit 1
}

# Writes a file when its content differs, through a temporary copy renamed over it, then gives it
# its mode and owner. Sets FILE_CHANGED.
FILE_CHANGED=false
write_file() {
  local file="$1" mode="$2" owner="$3" content="$4" temporary
  FILE_CHANGED=false
  if [[ ! -f ${file} || "$(<"${file}")" != "${content}" ]]; then
    mkdir -p -- "${file%/*}"
    temporary="$(mktemp -- "${file}.storestack.XXXXXX")"
    printf '%s\n' "${content}" >"${temporary}"
    chmod "${mode}" "${temporary}"
    chown "${owner}" "${temporary}"
    mv -f -- "${temporary}" "${file}"
    FILE_CHANGED=true
  fi
}

install_packages() {
  local package missing=()
  for package in "${PACKAGES[@]}"; do
    rpm -q --quiet --whatprovides "${package}" || missing+=("${package}")
  done
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    dnf install -y "${missing[@]}"
  else
    log 'the packages are installed'
  fi
}

# The release's SHA-256: the rendered one, or else the one phpMyAdmin publishes beside the
# tarball (<url>.sha256, "<hash>  <file>").
expected_checksum() {
  local published
  [[ -z ${PMA_SHA256} ]] || return 0
  published="$(curl -fsSL --retry 5 "${PMA_URL}.sha256")" ||
    fail "cannot read ${PMA_URL}.sha256; phpMyAdmin not installed"
  PMA_SHA256="${published%% *}"
  [[ ${PMA_SHA256} =~ ^[0-9a-f]{64}$ ]] || fail "${PMA_URL}.sha256 holds no SHA-256; phpMyAdmin not installed"
}

# Downloads the pinned release, checks its SHA-256, and only then unpacks it.
install_release() {
  local archive actual
  expected_checksum
  if [[ -f ${RELEASE_DIR}/${MARKER} && "$(<"${RELEASE_DIR}/${MARKER}")" == "${PMA_SHA256}" ]]; then
    log "phpMyAdmin ${PMA_VERSION} is installed in ${RELEASE_DIR}"
  else
    log "downloading phpMyAdmin ${PMA_VERSION} from ${PMA_URL}"
    mkdir -p -- "${RELEASE_DIR%/*}"
    WORK_DIR="$(mktemp -d -- "${RELEASE_DIR}.download.XXXXXX")"
    archive="${WORK_DIR}/phpmyadmin.tar.gz"
    curl -fsSL --retry 5 -o "${archive}" "${PMA_URL}"
    actual="$(sha256sum "${archive}")"
    actual="${actual%% *}"
    if [[ ${actual} != "${PMA_SHA256}" ]]; then
      fail "checksum mismatch for ${PMA_URL}: expected sha256 ${PMA_SHA256}, got ${actual}; nothing was unpacked"
    fi
    mkdir -- "${WORK_DIR}/release"
    tar -xzf "${archive}" -C "${WORK_DIR}/release" --strip-components=1 --no-same-owner
    [[ -f ${WORK_DIR}/release/index.php ]] || fail "the tarball from ${PMA_URL} holds no index.php"
    printf '%s\n' "${PMA_SHA256}" >"${WORK_DIR}/release/${MARKER}"
    rm -rf -- "${RELEASE_DIR}"
    mv -T -- "${WORK_DIR}/release" "${RELEASE_DIR}"
    log "phpMyAdmin ${PMA_VERSION} unpacked in ${RELEASE_DIR}"
  fi
  if [[ -e ${LINK} && ! -L ${LINK} ]]; then
    fail "${LINK} exists and is not a symlink (another phpMyAdmin installation?); leaving it alone"
  fi
  if [[ "$(readlink -- "${LINK}" || true)" != "${RELEASE_NAME}" ]]; then
    ln -sfn -- "${RELEASE_NAME}" "${LINK}.storestack"
    mv -fT -- "${LINK}.storestack" "${LINK}"
    log "${LINK} now points to ${RELEASE_NAME}"
  fi
}

install_ca_bundle() {
  local bundle="${ROOT}${PMA_CA_BUNDLE}" temporary
  if [[ -s ${bundle} ]]; then
    log "the RDS CA bundle is in ${bundle}"
    return 0
  fi
  mkdir -p -- "${bundle%/*}"
  temporary="$(mktemp -- "${bundle}.XXXXXX")"
  curl -fsSL --retry 5 -o "${temporary}" "${PMA_CA_BUNDLE_URL}"
  grep -q -- '-----BEGIN CERTIFICATE-----' "${temporary}" || {
    rm -f -- "${temporary}"
    fail "${PMA_CA_BUNDLE_URL} did not return certificates"
  }
  chmod 644 "${temporary}"
  mv -f -- "${temporary}" "${bundle}"
  log "the RDS CA bundle is downloaded to ${bundle}"
}

# The secret that encrypts the login cookies: generated once, so that a restart or a second run
# logs nobody out. Sets SECRET.
SECRET=''
ensure_secret() {
  local file="${ROOT}${PMA_SECRET}" temporary
  if [[ ! -s ${file} ]]; then
    mkdir -p -- "${file%/*}"
    temporary="$(mktemp -- "${file}.XXXXXX")"
    chmod 600 "${temporary}"
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"${temporary}"
    mv -f -- "${temporary}" "${file}"
    log "generated a new secret in ${file}"
  fi
  chmod 600 "${file}"
  chown root:root "${file}"
  SECRET="$(<"${file}")"
  [[ ${SECRET} =~ ^[0-9a-f]{64}$ ]] || fail "${file} does not hold 64 hexadecimal digits"
}

# The endpoint in an SSM parameter, retried while the instance profile's credentials settle.
ENDPOINT=''
read_endpoint() {
  local name="$1" attempt
  for attempt in 1 2 3 4 5; do
    if ENDPOINT="$(aws ssm get-parameter --region "${PMA_REGION}" --name "${name}" \
      --query Parameter.Value --output text)"; then
      return 0
    fi
    log "could not read ${name} (attempt ${attempt} of 5)" >&2
    sleep "${RETRY_SECONDS}"
  done
  fail "cannot read the SSM parameter ${name} in ${PMA_REGION}"
}

# The JSON config.inc.php reads. The labels are checked by render.ts and the hosts here: neither
# can hold a quote or a backslash.
settings_json() {
  local i host port json separator=''
  json="{\"blowfishSecret\":\"${SECRET}\",\"servers\":["
  for i in "${!PMA_SERVER_PARAMETERS[@]}"; do
    read_endpoint "${PMA_SERVER_PARAMETERS[i]}"
    host="${ENDPOINT%:*}"
    port="${PMA_DEFAULT_PORT}"
    [[ ${ENDPOINT} != *:* ]] || port="${ENDPOINT##*:}"
    if [[ ! ${host} =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ || ! ${port} =~ ^[0-9]{1,5}$ ]]; then
      fail "${PMA_SERVER_PARAMETERS[i]} holds '${ENDPOINT}', not a host or host:port"
    fi
    json+="${separator}{\"label\":\"${PMA_SERVER_LABELS[i]}\",\"host\":\"${host}\",\"port\":${port}}"
    separator=','
  done
  printf '%s]}' "${json}"
}

configure_phpmyadmin() {
  local settings
  ((${#PMA_SERVER_LABELS[@]} == ${#PMA_SERVER_PARAMETERS[@]} && ${#PMA_SERVER_LABELS[@]} > 0)) ||
    fail 'PMA_SERVER_LABELS and PMA_SERVER_PARAMETERS must name the same servers'
  settings="$(settings_json)"
  write_file "${ROOT}${PMA_SETTINGS}" 640 "root:${WEB_GROUP}" "${settings}"
  if [[ ${FILE_CHANGED} == true ]]; then log "${PMA_SETTINGS} updated"; fi
  write_file "${RELEASE_DIR}/config.inc.php" 640 "root:${WEB_GROUP}" "${PMA_CONFIG}"
  mkdir -p -- "${ROOT}${PMA_TEMP_DIR}"
  chmod 750 "${ROOT}${PMA_TEMP_DIR}"
  chown "${WEB_GROUP}:${WEB_GROUP}" "${ROOT}${PMA_TEMP_DIR}"
}

# Returns whether the nginx server changed.
configure_nginx() {
  local main="${ROOT}/etc/nginx/nginx.conf" changed=false
  # phpMyAdmin is this instance's only site: the stock server must not claim the default.
  if [[ -f ${main} ]] && grep -Eq '^[[:space:]]*listen[^;#]*[[:space:]]default_server' "${main}"; then
    sed -i -E 's/^([[:space:]]*listen[^;#]*)[[:space:]]+default_server/\1/' "${main}"
    log "removed default_server from ${main}"
    changed=true
  fi
  write_file "${ROOT}${PMA_NGINX_CONF}" 644 root:root "${PMA_NGINX_SERVER}"
  if [[ ${FILE_CHANGED} == true ]]; then
    log "${PMA_NGINX_CONF} updated"
    changed=true
  fi
  [[ ${changed} == true ]]
}

main() {
  local nginx_changed=false
  [[ -n ${PMA_CONFIG:-} && -n ${PMA_NGINX_SERVER:-} ]] || fail 'PMA_CONFIG or PMA_NGINX_SERVER is empty'
  install_packages
  install_release
  install_ca_bundle
  ensure_secret
  configure_phpmyadmin
  if configure_nginx; then nginx_changed=true; fi
  # php-fpm reaches the databases over the network: allowed even when SELinux enforces.
  if command -v selinuxenabled >/dev/null && selinuxenabled; then
    setsebool -P httpd_can_network_connect_db 1
  fi
  nginx -t -q
  systemctl enable --now php-fpm nginx
  if [[ ${nginx_changed} == true ]]; then systemctl reload nginx; fi
  log "phpMyAdmin ${PMA_VERSION} serves ${#PMA_SERVER_LABELS[@]} database server(s)"
}

main "$@"
