#!/bin/bash
# shellcheck disable=SC2154 # the APP_* settings come from the header render.ts writes.
#
# Beanstalk postdeploy hook 10 of the Mirakl-HiPay connector (document 4: "A cron operation is
# also added"): installs the connector's cron entries (config apps.mirakl.cron) once the release
# is live, so they run the code now serving. render.ts writes a header:
#   APP_CRON_FILE          where it goes, /etc/cron.d/storestack-mirakl
#   APP_CRON_FILE_CONTENT  the whole cron.d file, rendered from the configuration, ending with a
#                          line break (cron ignores a last line without one)
# The file is written to a temporary name starting with a dot (cron skips those), mode 0644,
# then renamed over APP_CRON_FILE: cron never reads half a file.
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly CRON_FILE="${STORESTACK_CRON_FILE:-${APP_CRON_FILE}}"

log() {
  printf 'storestack-mirakl-cron: %s\n' "$*"
}

fail() {
  printf 'storestack-mirakl-cron: ERROR: %s\n' "$*" >&2
  exit 1
}

TEMPORARY=''
cleanup() {
  if [[ -n ${TEMPORARY} ]]; then rm -f "${TEMPORARY}"; fi
}
trap cleanup EXIT

main() {
  [[ ${APP_CRON_FILE_CONTENT} == *$'\n' ]] || fail 'the cron file must end with a line break'
  # cron.d needs cronie; Amazon Linux 2023 does not always ship it.
  if ! rpm -q --quiet cronie; then
    log 'installing cronie'
    dnf install -y -q cronie || fail 'cannot install cronie (the dnf error is above)'
  fi
  mkdir -p "${CRON_FILE%/*}"
  TEMPORARY="$(mktemp "${CRON_FILE%/*}/.${CRON_FILE##*/}.XXXXXX")"
  printf '%s' "${APP_CRON_FILE_CONTENT}" >"${TEMPORARY}"
  chmod 0644 "${TEMPORARY}"
  mv -f "${TEMPORARY}" "${CRON_FILE}"
  TEMPORARY=''
  systemctl enable --now crond
  log "installed ${CRON_FILE}"
}

main "$@"
