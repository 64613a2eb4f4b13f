#!/bin/bash
# shellcheck disable=SC2154 # VPN_PORT, VPN_PROTOCOL and VPN_PUBLIC_HOST_PARAMETER come from the header render.ts writes.
#
# make_config.sh <username> (hosting document 6.A): issues a client certificate (no passphrase)
# and writes the client's profile, CLIENT_DIR/files/<username>.ovpn, with everything inline: the
# CA, the client's certificate and key, and the tls-crypt key. It connects to the Elastic IP held
# by the SSM parameter VPN_PUBLIC_HOST_PARAMETER, on VPN_PORT over VPN_PROTOCOL. A user who already
# has a valid certificate is refused: revoke it first. The certificate is issued on a copy of the
# PKI, saved to S3, and only then put in place: when the save fails, the user has no certificate.

readonly CLIENT_CERT_DAYS=825

# The address the clients connect to: the Elastic IP, or a DNS name.
public_host() {
  local host
  host="$(aws ssm get-parameter --name "${VPN_PUBLIC_HOST_PARAMETER}" --region "${VPN_REGION}" \
    --query Parameter.Value --output text)" || fail "could not read the SSM parameter ${VPN_PUBLIC_HOST_PARAMETER}"
  [[ ${host} =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] ||
    fail "the SSM parameter ${VPN_PUBLIC_HOST_PARAMETER} holds '${host}', not an address or a host name"
  printf '%s' "${host}"
}

# The profile of `name`, from the PKI in `dir`, on standard output.
profile() {
  local dir="$1" name="$2" host="$3"
  cat <<PROFILE
# OpenVPN profile of ${name}, made by storestack's make_config.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ).
# It holds ${name}'s private key: keep it to yourself.
client
dev tun
proto ${VPN_PROTOCOL}
remote ${host} ${VPN_PORT}
resolv-retry infinite
nobind
persist-key
persist-tun
remote-cert-tls server
verify-x509-name ${SERVER_NAME} name
tls-version-min 1.2
data-ciphers AES-256-GCM:AES-128-GCM
verb 3
<ca>
$(sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' -- "${dir}/pki/ca.crt")
</ca>
<cert>
$(sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' -- "${dir}/pki/issued/${name}.crt")
</cert>
<key>
$(cat -- "${dir}/pki/private/${name}.key")
</key>
<tls-crypt>
$(cat -- "${dir}/ta.key")
</tls-crypt>
PROFILE
}

main() {
  local name="${1:-}" host profile_file temporary
  (($# == 1)) || fail "usage: ${0##*/} <username>"
  check_username "${name}"
  take_lock
  require_pki
  if has_valid_certificate "${EASYRSA_DIR}" "${name}" || [[ -e ${EASYRSA_DIR}/pki/issued/${name}.crt ||
    -e ${EASYRSA_DIR}/pki/private/${name}.key || -e ${EASYRSA_DIR}/pki/reqs/${name}.req ]]; then
    fail "${name} already has a certificate: revoke it first (${CLIENT_DIR}/revoke_client.sh ${name})"
  fi
  host="$(public_host)"

  stage_copy
  EASYRSA_CERT_EXPIRE="${CLIENT_CERT_DAYS}" easyrsa "${STAGING}/pki" build-client-full "${name}" nopass
  mkdir -p -- "${PROFILE_DIR}"
  chmod 0700 -- "${PROFILE_DIR}"
  temporary="$(mktemp -- "${PROFILE_DIR}/.${name}.ovpn.XXXXXX")"
  TEMPORARY+=("${temporary}")
  profile "${STAGING}" "${name}" "${host}" >"${temporary}"

  save_state "${STAGING}"
  commit_staging
  profile_file="${PROFILE_DIR}/${name}.ovpn"
  mv -f -- "${temporary}" "${profile_file}"
  log "issued a certificate to ${name}; profile: ${profile_file}"
}

main "$@"
