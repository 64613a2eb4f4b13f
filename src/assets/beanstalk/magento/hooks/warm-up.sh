#!/bin/bash
#
# Beanstalk postdeploy hook 10: records which release this instance runs, then warms it up.
# The release id (the RELEASE_ID file the build puts at the release root) goes to
# /var/app/storestack-release, where `storestack status` reads it. Then Magento's health check
# must answer 200 (it reaches the database and the cache) before the deploy goes on to the next
# instance; a failure here stops a rolling deploy with the old instances still serving. The
# front page request only fills the caches of the new release: its answer is logged, not judged
# (without the store's host name it may be a redirect).
#
# The tests override every location from the environment. The system commands are called by
# name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/current}"
readonly RELEASE_RECORD="${STORESTACK_RELEASE_RECORD:-/var/app/storestack-release}"
readonly HEALTH_CHECK_URL="${STORESTACK_HEALTH_CHECK_URL:-http://127.0.0.1/pub/health_check.php}"
readonly FRONT_PAGE_URL="${STORESTACK_FRONT_PAGE_URL:-http://127.0.0.1/}"
readonly ATTEMPTS="${STORESTACK_WARM_UP_ATTEMPTS:-20}"
readonly POLL_SECONDS="${STORESTACK_POLL_SECONDS:-3}"
readonly REQUEST_SECONDS=30

log() {
  printf 'storestack-warm-up: %s\n' "$*"
}

fail() {
  printf 'storestack-warm-up: ERROR: %s\n' "$*" >&2
  exit 1
}

record_release() {
  local file="${RELEASE_DIR}/RELEASE_ID" release_id temporary
  [[ -f ${file} ]] || fail "${file} is missing: the release build must write RELEASE_ID at the root of the bundle"
  release_id="$(<"${file}")"
  release_id="${release_id%$'\n'}"
  [[ ${release_id} =~ ^[A-Za-z0-9._-]{1,64}$ ]] || fail "${file} holds '${release_id}', not a release id"
  temporary="$(mktemp "${RELEASE_RECORD}.XXXXXX")"
  printf '%s\n' "${release_id}" >"${temporary}"
  chmod 644 "${temporary}"
  mv -f "${temporary}" "${RELEASE_RECORD}"
  log "release ${release_id} recorded in ${RELEASE_RECORD}"
}

# The HTTP status of a GET, 000 when there is no answer at all.
STATUS=''
http_status() {
  STATUS="$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time "${REQUEST_SECONDS}" "$1" || true)"
  [[ ${STATUS} =~ ^[0-9]{3}$ ]] || STATUS=000
}

wait_for_health() {
  local attempt
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    http_status "${HEALTH_CHECK_URL}"
    if [[ ${STATUS} == 200 ]]; then
      log "${HEALTH_CHECK_URL} answered 200 (attempt ${attempt})"
      return 0
    fi
    log "${HEALTH_CHECK_URL} answered ${STATUS} (attempt ${attempt} of ${ATTEMPTS})"
    ((attempt == ATTEMPTS)) || sleep "${POLL_SECONDS}"
  done
  fail "${HEALTH_CHECK_URL} did not answer 200 after ${ATTEMPTS} attempts (last: ${STATUS}); see Magento's var/log and /var/log/php-fpm"
}

warm_front_page() {
  local attempt
  for ((attempt = 1; attempt <= 3; attempt++)); do
    http_status "${FRONT_PAGE_URL}"
    if [[ ${STATUS} != 000 && ${STATUS} -lt 500 ]]; then
      log "${FRONT_PAGE_URL} answered ${STATUS}"
      return 0
    fi
    log "${FRONT_PAGE_URL} answered ${STATUS} (attempt ${attempt} of 3)"
  done
  log "WARNING: the front page did not warm up; the first visitors will wait for the caches"
}

main() {
  [[ ${ATTEMPTS} =~ ^[1-9][0-9]*$ ]] || fail "the number of attempts must be a positive whole number (got '${ATTEMPTS}')"
  record_release
  wait_for_health
  warm_front_page
}

main "$@"
