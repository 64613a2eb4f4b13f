#!/bin/bash
# shellcheck disable=SC2154 # the APP_* settings come from the header render.ts writes.
#
# Beanstalk predeploy hook 30 of the satellite apps: updates the database schema from the code
# (document 2: "Updating the DB scheme from the code") before the release goes live, by running
# the configured command in the release directory as the web user. A failure fails the deploy,
# and Beanstalk keeps the previous release serving. render.ts writes a header:
#   APP_NAME                    pim, connector or mirakl, for the messages
#   APP_SCHEMA_UPDATE_COMMAND   the command (config apps.<app>.schemaUpdateCommand), run by bash
#   APP_WEB_USER                the user it runs as (webapp)
# It runs after 20-permissions.sh, so the web user may write the release's cache, and after
# 10-credentials.sh, whose .env.local gives it the database.
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/staging}"
# How much of the command's output a failure shows (all of it is in the hook's log otherwise).
readonly TAIL_LINES=40

log() {
  printf 'storestack-%s-schema: %s\n' "${APP_NAME}" "$*"
}

fail() {
  printf 'storestack-%s-schema: ERROR: %s\n' "${APP_NAME}" "$*" >&2
  exit 1
}

OUTPUT=''
cleanup() {
  if [[ -n ${OUTPUT} ]]; then rm -f "${OUTPUT}"; fi
}
trap cleanup EXIT

main() {
  local status=0
  [[ -d ${RELEASE_DIR} ]] || fail "the release directory ${RELEASE_DIR} does not exist"
  [[ -f ${RELEASE_DIR}/.env.local ]] ||
    fail "${RELEASE_DIR}/.env.local is missing: the prebuild hook 10-credentials.sh did not run"
  OUTPUT="$(mktemp)"
  cd "${RELEASE_DIR}"
  log "running as ${APP_WEB_USER} in ${RELEASE_DIR}: ${APP_SCHEMA_UPDATE_COMMAND}"
  # runuser keeps the working directory; the command is one argument of bash -c, never re-split.
  runuser -u "${APP_WEB_USER}" -- bash -c "${APP_SCHEMA_UPDATE_COMMAND}" </dev/null >"${OUTPUT}" 2>&1 || status=$?
  if ((status != 0)); then
    {
      printf 'storestack-%s-schema: the last %s lines of its output:\n' "${APP_NAME}" "${TAIL_LINES}"
      tail -n "${TAIL_LINES}" "${OUTPUT}"
    } >&2
    fail "the schema update failed (exit ${status}): ${APP_SCHEMA_UPDATE_COMMAND}"
  fi
  tail -n "${TAIL_LINES}" "${OUTPUT}"
  log 'schema up to date'
}

main "$@"
