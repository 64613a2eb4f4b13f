#!/bin/bash
# shellcheck disable=SC2154 # the MAGENTO_* settings come from the header render.ts writes.
#
# Beanstalk postdeploy hook 20: Magento's cron on the back office, none on the front end. A
# release is built once and the same bundle goes to both Beanstalk environments, so the role is
# read at deploy time from the environment property STORESTACK_ROLE (get-config):
#   backOffice  installs the wrapper and the cron.d entry
#   frontend    removes them if a previous deploy left them, and installs nothing
#   otherwise   fails the deploy, so a misconfigured environment is noticed
# render.ts writes a header:
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
readonly GET_CONFIG="${STORESTACK_GET_CONFIG:-/opt/elasticbeanstalk/bin/get-config}"
readonly ROLE_PROPERTY='STORESTACK_ROLE'

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

# The Beanstalk environment property naming this environment's role; empty when unset.
environment_role() {
  [[ -x ${GET_CONFIG} ]] || fail "${GET_CONFIG} is missing: cannot read the environment property ${ROLE_PROPERTY}"
  "${GET_CONFIG}" environment -k "${ROLE_PROPERTY}" 2>/dev/null || true
}

remove_cron() {
  local file
  # The entry first: cron must never run a wrapper that is gone.
  for file in "${CRON_FILE}" "${WRAPPER}"; do
    if [[ -e ${file} ]]; then
      rm -f "${file}"
      log "${file} removed"
    fi
  done
  log "no Magento cron on the front end (${ROLE_PROPERTY}=frontend)"
}

install_cron() {
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

main() {
  local role
  role="$(environment_role)"
  case ${role} in
  backOffice) install_cron ;;
  frontend) remove_cron ;;
  '') fail "the Beanstalk environment property ${ROLE_PROPERTY} is not set: set it to backOffice or frontend" ;;
  *) fail "the Beanstalk environment property ${ROLE_PROPERTY} is '${role}': it must be backOffice or frontend" ;;
  esac
}

main "$@"
