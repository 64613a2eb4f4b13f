#!/bin/bash
# shellcheck disable=SC2154 # the MAGENTO_* settings come from the header render.ts writes.
#
# Beanstalk predeploy hook 10: ownership and modes of the release, once the platform has set it
# up and before it goes live. render.ts writes a header:
#   MAGENTO_WEB_USER      the user PHP runs as (webapp on the Beanstalk PHP platforms)
#   MAGENTO_LINKED_PATHS  the release paths the prebuild hook linked to the shares
# Magento writes to var/ and generated/: they go to the web user, group-writable, setgid so new
# files keep the group. The links to the shares change owner themselves; nothing is done inside
# the shares, whose files belong to the web user already and may number millions (a recursive
# chown over NFS would hold up every deploy). env.php is set again because the platform may
# have given the whole release to the web user after the prebuild hooks.
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/staging}"

log() {
  printf 'storestack-permissions: %s\n' "$*"
}

fail() {
  printf 'storestack-permissions: ERROR: %s\n' "$*" >&2
  exit 1
}

writable_dir() {
  local dir="${RELEASE_DIR}/$1"
  mkdir -p "${dir}"
  # -P (chown's default with -R) never follows a link; -xdev keeps find on this file system.
  chown -R -P "${MAGENTO_WEB_USER}:${MAGENTO_WEB_USER}" "${dir}"
  find "${dir}" -xdev -type d -exec chmod 2770 {} +
  find "${dir}" -xdev -type f -exec chmod 0660 {} +
  log "$1: owned by ${MAGENTO_WEB_USER}, group-writable"
}

main() {
  local path link env_php="${RELEASE_DIR}/app/etc/env.php"
  [[ -d ${RELEASE_DIR} ]] || fail "the release directory ${RELEASE_DIR} does not exist"
  writable_dir var
  writable_dir generated
  for path in "${MAGENTO_LINKED_PATHS[@]}"; do
    link="${RELEASE_DIR}/${path}"
    [[ -L ${link} ]] || fail "${path} is not a link to its share: the prebuild hook 10-mount-shares.sh did not run"
    chown -h "${MAGENTO_WEB_USER}:${MAGENTO_WEB_USER}" "${link}"
  done
  [[ -f ${env_php} ]] || fail "${env_php} is missing: the prebuild hook 20-render-env-php.sh did not run"
  chown "root:${MAGENTO_WEB_USER}" "${env_php}"
  chmod 0640 "${env_php}"
  log "links and app/etc/env.php set"
}

main "$@"
