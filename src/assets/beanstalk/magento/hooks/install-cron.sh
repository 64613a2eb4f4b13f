#!/bin/bash
# shellcheck disable=SC2154 # the MAGENTO_* settings come from the header render.ts writes.
#
# Beanstalk postdeploy hook 20, on the back office only: installs Magento's cron. The front end
# runs no cron at all. render.ts writes a header:
#   MAGENTO_WEB_USER  the user cron runs as (webapp), as PHP does
# The wrapper is copied out of the release to a fixed place, so that the cron entry never
# points into a release that Beanstalk is replacing; it runs bin/magento of whichever release
# is current. Only after the deploy: the new code runs cron once it is the one serving.
#
# The tests override every location from the environment. The system commands are called by
# name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/current}"
readonly WRAPPER="${STORESTACK_CRON_WRAPPER:-/usr/local/bin/storestack-magento-cron}"
readonly CRON_FILE="${STORESTACK_CRON_FILE:-/etc/cron.d/storestack-magento}"
readonly WRAPPER_SOURCE="${RELEASE_DIR}/.platform/storestack/magento-cron.sh"

log() {
  printf 'storestack-cron: %s\n' "$*"
}

fail() {
  printf 'storestack-cron: ERROR: %s\n' "$*" >&2
  exit 1
}

# Puts a file in place through a copy renamed over it (cron never reads half a file), only
# when its content changes.
install_file() {
  local file="$1" mode="$2" content="$3" current temporary
  if [[ -f ${file} ]]; then
    current="$(<"${file}")"
    [[ ${current} != "${content}" ]] || return 0
  fi
  mkdir -p "${file%/*}"
  temporary="$(mktemp "${file}.XXXXXX")"
  printf '%s\n' "${content}" >"${temporary}"
  chmod "${mode}" "${temporary}"
  mv -f "${temporary}" "${file}"
  log "${file} updated"
}

cron_entry() {
  printf '%s\n' \
    '# storestack: Magento cron on the back office (postdeploy hook 20-install-cron.sh); edits are overwritten.' \
    'PATH=/usr/local/bin:/usr/bin:/bin' \
    "* * * * * ${MAGENTO_WEB_USER} ${WRAPPER} 2>&1 | logger -t storestack-magento-cron"
}

main() {
  [[ -f ${WRAPPER_SOURCE} ]] || fail "${WRAPPER_SOURCE} is missing from the release"
  # cron.d needs cronie; Amazon Linux 2023 does not always ship it.
  if ! rpm -q --quiet cronie; then
    log 'installing cronie'
    dnf install -y -q cronie
  fi
  install_file "${WRAPPER}" 755 "$(<"${WRAPPER_SOURCE}")"
  install_file "${CRON_FILE}" 644 "$(cron_entry)"
  systemctl enable --now crond
  log "Magento cron runs every minute as ${MAGENTO_WEB_USER} (${CRON_FILE})"
}

main "$@"
