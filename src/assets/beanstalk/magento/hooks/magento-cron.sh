#!/bin/bash
# shellcheck disable=SC2154 # MAGENTO_CRON_LOCK comes from the header render.ts writes.
#
# Magento's cron on the back office, run every minute by /etc/cron.d/storestack-magento as the
# web user. render.ts writes a header:
#   MAGENTO_CRON_LOCK  the lock file, on a share every back-office instance mounts
# Two back-office instances run at once during a deploy (the additional batch), and two cron:run
# at once would run the same jobs twice. The lock is taken on the share, so it holds across
# instances: whoever holds it runs, the other skips this minute and exits 0. It is held until
# every process cron:run starts has ended (they inherit the locked descriptor), and released by
# the server when a holder's instance dies (NFSv4 and EFS leases expire).
#
# A file .cron.paused beside the lock pauses cron on every back-office instance at once, new
# instances included (the release does so around a database upgrade).
#
# The tests override every location from the environment. The system commands are called by
# name, so the tests can stub them on PATH.
set -euo pipefail

readonly MAGENTO_ROOT="${STORESTACK_MAGENTO_ROOT:-/var/app/current}"
readonly LOCK_FILE="${STORESTACK_CRON_LOCK:-${MAGENTO_CRON_LOCK}}"
readonly LOCK_DIR="${LOCK_FILE%/*}"
readonly PAUSE_FLAG="${LOCK_DIR}/.cron.paused"

log() {
  printf 'storestack-magento-cron: %s\n' "$*"
}

fail() {
  printf 'storestack-magento-cron: ERROR: %s\n' "$*" >&2
  exit 1
}

main() {
  # Without the share, the lock would be this instance's alone.
  mountpoint -q "${LOCK_DIR}" ||
    fail "${LOCK_DIR} is not mounted: without the shared lock another instance could run cron at the same time; not running"
  if [[ -e ${PAUSE_FLAG} ]]; then
    log "paused (${PAUSE_FLAG} exists): skipping this run"
    exit 0
  fi
  exec 9>>"${LOCK_FILE}"
  if ! flock --nonblock 9; then
    log "another instance holds ${LOCK_FILE}: skipping this run"
    exit 0
  fi
  php "${MAGENTO_ROOT}/bin/magento" cron:run
}

main "$@"
