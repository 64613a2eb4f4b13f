#!/bin/bash
# shellcheck disable=SC2154 # the APP_* settings come from the header render.ts writes.
#
# Beanstalk predeploy hook 20 of the satellite apps (document 2: "Chowning the repository to the
# correct user permissions"): the release goes to the web user, directories 775 and files 664
# (775 for those already executable), group-writable so that the web user's group (the
# connector's FTP user among them, document 3) may write. render.ts writes a header:
#   APP_NAME      pim, connector or mirakl, for the messages
#   APP_WEB_USER  the user PHP runs as (webapp)
# Never followed: symbolic links (find's default: the link itself changes owner, never what it
# points to, so the connector's upload directory, a link to its share, is left alone) and other
# file systems (-xdev: nothing mounted inside the release either). Not touched: .platform, the
# hooks Beanstalk runs as root and the files they install, which must not become group-writable;
# and .env.local, which holds the credentials (root:webapp 0640, set again here).
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/staging}"
readonly PLATFORM_DIR="${RELEASE_DIR}/.platform"
readonly ENV_FILE="${RELEASE_DIR}/.env.local"

log() {
  printf 'storestack-%s-permissions: %s\n' "${APP_NAME}" "$*"
}

fail() {
  printf 'storestack-%s-permissions: ERROR: %s\n' "${APP_NAME}" "$*" >&2
  exit 1
}

# find over the release, without .platform and .env.local, never leaving its file system nor
# following a link; the rest of the arguments select and act.
find_release() {
  find "${RELEASE_DIR}" -xdev \( -path "${PLATFORM_DIR}" -o -path "${ENV_FILE}" \) -prune -o "$@"
}

main() {
  [[ -d ${RELEASE_DIR} ]] || fail "the release directory ${RELEASE_DIR} does not exist"
  [[ -f ${ENV_FILE} ]] || fail "${ENV_FILE} is missing: the prebuild hook 10-credentials.sh did not run"
  find_release -exec chown -h "${APP_WEB_USER}:${APP_WEB_USER}" {} +
  find_release -type d -exec chmod 775 {} +
  find_release -type f -perm /111 -exec chmod 775 {} +
  find_release -type f ! -perm /111 -exec chmod 664 {} +
  chown "root:${APP_WEB_USER}" "${ENV_FILE}"
  chmod 0640 "${ENV_FILE}"
  log "${RELEASE_DIR} owned by ${APP_WEB_USER}, group-writable; .env.local readable by its group only"
}

main "$@"
