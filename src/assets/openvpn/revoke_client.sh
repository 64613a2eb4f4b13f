#!/bin/bash
#
# revoke_client.sh <username> (hosting document 6.A): revokes the client's certificate, signs a
# new CRL, saves the PKI to S3, installs the CRL for the server and restarts it (OpenVPN reads the
# CRL at start, and the restart ends the revoked client's session), then deletes the client's
# profile. The change is made on a copy of the PKI and put in place only once saved.

readonly SERVER_DIR="${STORESTACK_OPENVPN_SERVER_DIR:-/etc/openvpn/server}"
readonly SERVICE='openvpn-server@server'

main() {
  local name="${1:-}" temporary
  (($# == 1)) || fail "usage: ${0##*/} <username>"
  check_username "${name}"
  take_lock
  require_pki
  has_valid_certificate "${EASYRSA_DIR}" "${name}" || fail "${name} has no valid certificate to revoke"

  stage_copy
  easyrsa "${STAGING}/pki" revoke "${name}"
  easyrsa "${STAGING}/pki" gen-crl
  save_state "${STAGING}"
  commit_staging

  mkdir -p -- "${SERVER_DIR}"
  temporary="$(mktemp -- "${SERVER_DIR}/crl.pem.XXXXXX")"
  TEMPORARY+=("${temporary}")
  cp -- "${EASYRSA_DIR}/pki/crl.pem" "${temporary}"
  chmod 0644 -- "${temporary}"
  mv -f -- "${temporary}" "${SERVER_DIR}/crl.pem"
  systemctl try-restart "${SERVICE}"
  rm -f -- "${PROFILE_DIR}/${name}.ovpn"
  log "revoked ${name}'s certificate; the server refuses it from now on"
}

main "$@"
