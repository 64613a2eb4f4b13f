#!/bin/bash
# shellcheck disable=SC2154 # VPN_REGION, VPN_STATE_* come from the header render.ts writes.
# shellcheck disable=SC2034 # PROFILE_DIR is used by the scripts this is put before.
#
# What the OpenVPN scripts share (hosting document 6.A): render.ts puts this after each script's
# header and before its body. The PKI lives in EASYRSA_DIR: easy-rsa's pki/ (CA, index, serial,
# issued and revoked certificates, CRL) and ta.key (the tls-crypt key). Its only copy that
# outlives the instance is one S3 object, a tar.gz of that directory, encrypted with SSE-KMS in a
# versioned bucket:
#   VPN_REGION, VPN_STATE_BUCKET, VPN_STATE_KEY  where it is
#   VPN_STATE_KMS_KEY_ID                         the KMS key (empty: S3's aws/s3 key)
# A change to the PKI is made on a copy of the directory, saved to S3, and only then put in
# place: when the save fails, nothing changed.
#
# The tests override every location from the environment, and stub aws and the system commands
# on PATH; easy-rsa, openssl and openvpn are the real ones.
set -euo pipefail

readonly EASYRSA_DIR="${STORESTACK_OPENVPN_EASYRSA_DIR:-/etc/openvpn/easy-rsa}"
readonly CLIENT_DIR="${STORESTACK_OPENVPN_CLIENT_DIR:-/root/client-configs}"
readonly PROFILE_DIR="${CLIENT_DIR}/files"
readonly LOCK_FILE="${STORESTACK_OPENVPN_LOCK:-/run/storestack-openvpn.lock}"
readonly STATE_URL="s3://${VPN_STATE_BUCKET}/${VPN_STATE_KEY}"
# Elliptic keys: fast to make, and no Diffie-Hellman parameters (server.conf has dh none).
readonly SERVER_NAME='server'
readonly CA_DAYS=3650
# The CRL is signed for ten years: an expired CRL makes OpenVPN refuse every client.
readonly CRL_DAYS=3650

# Temporary files and directories, removed on exit.
TEMPORARY=()

log() {
  printf 'storestack-openvpn: %s\n' "$*"
}

fail() {
  printf 'storestack-openvpn: ERROR: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local path
  for path in "${TEMPORARY[@]}"; do rm -rf -- "${path}"; done
}
trap cleanup EXIT

# One change at a time: two admins adding users at once would both save their own copy.
take_lock() {
  mkdir -p -- "${LOCK_FILE%/*}"
  exec 9>"${LOCK_FILE}"
  flock -w 120 9 || fail "another OpenVPN script holds ${LOCK_FILE}; try again later"
}

# The easy-rsa script: STORESTACK_EASYRSA, else where Amazon Linux's and Debian's packages put it.
EASYRSA_BIN=''
find_easyrsa() {
  local candidate
  for candidate in "${STORESTACK_EASYRSA:-}" /usr/share/easy-rsa/3/easyrsa /usr/share/easy-rsa/easyrsa; do
    if [[ -n ${candidate} && -x ${candidate} ]]; then
      EASYRSA_BIN="${candidate}"
      return 0
    fi
  done
  EASYRSA_BIN="$(command -v easyrsa)" || fail 'easy-rsa is not installed (no easyrsa script found)'
}

# easyrsa <pki dir> <command...>, without prompts; its output is shown only when it fails.
easyrsa() {
  local pki="$1" output
  shift
  [[ -n ${EASYRSA_BIN} ]] || find_easyrsa
  if ! output="$(EASYRSA_PKI="${pki}" EASYRSA_BATCH=1 EASYRSA_ALGO=ec EASYRSA_CURVE=secp384r1 \
    EASYRSA_CA_EXPIRE="${CA_DAYS}" EASYRSA_CRL_DAYS="${CRL_DAYS}" "${EASYRSA_BIN}" "$@" 2>&1)"; then
    printf '%s\n' "${output}" >&2
    fail "easyrsa $* failed"
  fi
}

# A new directory beside EASYRSA_DIR (the same filesystem, so that it can be moved into place).
new_staging_dir() {
  mkdir -p -- "${EASYRSA_DIR%/*}"
  STAGING="$(mktemp -d -- "${EASYRSA_DIR}.staging.XXXXXX")"
  TEMPORARY+=("${STAGING}")
}
STAGING=''

# A copy of the live PKI to change.
stage_copy() {
  new_staging_dir
  cp -a -- "${EASYRSA_DIR}/." "${STAGING}/"
}

# True when the directory holds a whole PKI: the CA, its key, the index, the server's key and
# certificate, the CRL and the tls-crypt key.
pki_complete() {
  local dir="$1" file
  for file in pki/ca.crt pki/private/ca.key pki/index.txt pki/serial pki/crl.pem \
    "pki/issued/${SERVER_NAME}.crt" "pki/private/${SERVER_NAME}.key" ta.key; do
    [[ -s ${dir}/${file} ]] || return 1
  done
}

require_pki() {
  pki_complete "${EASYRSA_DIR}" ||
    fail "no PKI in ${EASYRSA_DIR}: the server set-up (the instance's user data) has not run"
}

# Puts the staged directory in place of the live one.
commit_staging() {
  local old=''
  if [[ -e ${EASYRSA_DIR} ]]; then
    old="$(mktemp -d -- "${EASYRSA_DIR}.old.XXXXXX")"
    TEMPORARY+=("${old}")
    rmdir -- "${old}"
    mv -- "${EASYRSA_DIR}" "${old}"
  fi
  mv -- "${STAGING}" "${EASYRSA_DIR}"
  chmod 0700 -- "${EASYRSA_DIR}"
  STAGING=''
  if [[ -n ${old} ]]; then rm -rf -- "${old}"; fi
}

# True when the certificate of `name` is valid in the index (issued and not revoked).
has_valid_certificate() {
  local dir="$1" name="$2"
  NAME="${name}" awk -F '\t' '
    $1 == "V" && ($6 == "/CN=" ENVIRON["NAME"] || index($6, "/CN=" ENVIRON["NAME"] "/") > 0) { found = 1 }
    END { exit !found }
  ' "${dir}/pki/index.txt"
}

# A user name: it names the certificate, the key and the profile.
check_username() {
  local name="${1:-}"
  [[ -n ${name} ]] || fail "usage: ${0##*/} <username>"
  [[ ${name} =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] ||
    fail "username '${name}' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
  [[ ${name} != "${SERVER_NAME}" && ${name} != ca ]] || fail "username '${name}' is reserved"
}

# --- The PKI state in S3 ---------------------------------------------------------------------

# Saves a PKI directory as the state object. Fails loudly: a change that is not saved would be
# lost with the instance.
save_state() {
  local dir="$1" archive
  local -a encryption=(--sse aws:kms)
  if [[ -n ${VPN_STATE_KMS_KEY_ID} ]]; then encryption+=(--sse-kms-key-id "${VPN_STATE_KMS_KEY_ID}"); fi
  archive="$(mktemp)"
  TEMPORARY+=("${archive}")
  tar -C "${dir}" -czf "${archive}" pki ta.key
  if ! aws s3 cp "${archive}" "${STATE_URL}" "${encryption[@]}" --region "${VPN_REGION}" --only-show-errors; then
    fail "could not save the PKI state to ${STATE_URL}; nothing was changed"
  fi
  log "saved the PKI state to ${STATE_URL}"
}

# True when the state object exists, false when S3 answers that it does not. Fails when S3
# cannot tell (no permission, no network): a new CA must never replace one that could not be read.
# (Without s3:ListBucket on the bucket, S3 answers 403 for a missing object, and this fails.)
state_exists() {
  local output
  if output="$(aws s3api head-object --bucket "${VPN_STATE_BUCKET}" --key "${VPN_STATE_KEY}" \
    --region "${VPN_REGION}" 2>&1 >/dev/null)"; then
    return 0
  elif [[ ${output} == *'(404)'* || ${output} == *'Not Found'* || ${output} == *NoSuchKey* ]]; then
    return 1
  else
    printf '%s\n' "${output}" >&2
    fail "cannot tell whether ${STATE_URL} exists; refusing to create a new PKI"
  fi
}

# Downloads the state object into a new staging directory (STAGING) and checks it is whole.
restore_state() {
  local archive
  archive="$(mktemp)"
  TEMPORARY+=("${archive}")
  aws s3 cp "${STATE_URL}" "${archive}" --region "${VPN_REGION}" --only-show-errors ||
    fail "could not download the PKI state from ${STATE_URL}"
  new_staging_dir
  tar -xzf "${archive}" -C "${STAGING}" || fail "${STATE_URL} is not a tar.gz archive"
  pki_complete "${STAGING}" || fail "${STATE_URL} does not hold a whole PKI (CA, server, CRL, ta.key)"
}
