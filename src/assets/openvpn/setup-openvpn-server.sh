#!/bin/bash
# shellcheck disable=SC2154 # VPN_CIDR, SERVER_CONF and the client scripts come from the header render.ts writes.
#
# OpenVPN server set-up (hosting document, section 6.A): EC2 user data for Amazon Linux 2023, after
# the header (VPN_CIDR, SERVER_CONF, MAKE_CONFIG_SCRIPT, REVOKE_CLIENT_SCRIPT) and
# openvpn-common.sh. It installs openvpn and easy-rsa, restores the PKI from S3 (or, when there
# is no saved state yet, creates it once and saves it), installs server.conf and the server's
# keys, forwards and masquerades the clients' traffic, installs the client scripts, and starts the
# server. Running it again changes nothing; the server restarts only when one of its files changed.

readonly SERVER_DIR="${STORESTACK_OPENVPN_SERVER_DIR:-/etc/openvpn/server}"
readonly SERVICE='openvpn-server@server'
readonly CA_NAME='storestack OpenVPN CA'
readonly SERVER_CERT_DAYS=3650
readonly SYSCTL_FILE="${STORESTACK_OPENVPN_SYSCTL_FILE:-/etc/sysctl.d/90-storestack-openvpn.conf}"
readonly NFT_FILE="${STORESTACK_OPENVPN_NFT_FILE:-/etc/openvpn/storestack-nat.nft}"
readonly SYSTEMD_DIR="${STORESTACK_OPENVPN_SYSTEMD_DIR:-/etc/systemd/system}"
readonly NFT_TABLE='storestack_openvpn'

# Replaces a file's content when it differs (through a temporary copy renamed over it), with the
# given mode. Sets FILE_CHANGED.
FILE_CHANGED=false
put_file() {
  local file="$1" mode="$2" content="$3" temporary
  FILE_CHANGED=false
  mkdir -p -- "${file%/*}"
  if [[ -f ${file} ]] && [[ "$(
    cat -- "${file}"
    printf x
  )" == "${content}"x ]]; then
    chmod "${mode}" -- "${file}"
    return 0
  fi
  temporary="$(mktemp -- "${file}.XXXXXX")"
  TEMPORARY+=("${temporary}")
  chmod "${mode}" -- "${temporary}"
  printf '%s' "${content}" >"${temporary}"
  mv -f -- "${temporary}" "${file}"
  FILE_CHANGED=true
}

install_packages() {
  local package
  local -a missing=()
  for package in openvpn easy-rsa nftables; do
    rpm -q --quiet "${package}" || missing+=("${package}")
  done
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    dnf install -y -q "${missing[@]}"
  fi
}

# Makes the PKI once: the CA (no passphrase: the instance must restart unattended), the server's
# certificate, the tls-crypt key and an empty CRL. In STAGING.
create_pki() {
  new_staging_dir
  log 'creating the CA, the server certificate, the tls-crypt key and the CRL'
  easyrsa "${STAGING}/pki" init-pki
  EASYRSA_REQ_CN="${CA_NAME}" easyrsa "${STAGING}/pki" build-ca nopass
  EASYRSA_CERT_EXPIRE="${SERVER_CERT_DAYS}" easyrsa "${STAGING}/pki" build-server-full "${SERVER_NAME}" nopass
  easyrsa "${STAGING}/pki" gen-crl
  openvpn --genkey secret "${STAGING}/ta.key" >/dev/null
  chmod 0600 -- "${STAGING}/ta.key"
}

# The PKI in EASYRSA_DIR, the same as the saved state's.
restore_or_create_pki() {
  if state_exists; then
    log "restoring the PKI from ${STATE_URL}"
    restore_state
    commit_staging
  elif pki_complete "${EASYRSA_DIR}"; then
    # A previous run made it but could not save it.
    log "no saved state at ${STATE_URL}: saving the PKI found in ${EASYRSA_DIR}"
    save_state "${EASYRSA_DIR}"
  else
    log "no saved state at ${STATE_URL}: this is the first server"
    create_pki
    save_state "${STAGING}"
    commit_staging
  fi
}

# The PEM block of a certificate file (easy-rsa writes a text dump before it).
pem_of() {
  sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' -- "$1"
}

# server.conf and the files it names, in SERVER_DIR. Sets SERVER_CHANGED.
SERVER_CHANGED=false
install_server_files() {
  local -a files=(
    "server.conf" 0644 "${SERVER_CONF}"$'\n'
    "ca.crt" 0644 "$(pem_of "${EASYRSA_DIR}/pki/ca.crt")"$'\n'
    "server.crt" 0644 "$(pem_of "${EASYRSA_DIR}/pki/issued/${SERVER_NAME}.crt")"$'\n'
    "server.key" 0600 "$(<"${EASYRSA_DIR}/pki/private/${SERVER_NAME}.key")"$'\n'
    "ta.key" 0600 "$(<"${EASYRSA_DIR}/ta.key")"$'\n'
    "crl.pem" 0644 "$(<"${EASYRSA_DIR}/pki/crl.pem")"$'\n'
  )
  local i
  for ((i = 0; i < ${#files[@]}; i += 3)); do
    put_file "${SERVER_DIR}/${files[i]}" "${files[i + 1]}" "${files[i + 2]}"
    if [[ ${FILE_CHANGED} == true ]]; then
      log "wrote ${SERVER_DIR}/${files[i]}"
      SERVER_CHANGED=true
    fi
  done
}

# The clients reach the VPC through the server: forwarding on, and their pool masqueraded behind
# the instance's address (the VPC's route tables do not know the pool). The nftables table is
# replaced whole, and loaded again before the server starts at every boot.
route_clients() {
  put_file "${SYSCTL_FILE}" 0644 $'# storestack OpenVPN: the server forwards the clients\' traffic.\nnet.ipv4.ip_forward = 1\n'
  sysctl -q -p "${SYSCTL_FILE}"

  put_file "${NFT_FILE}" 0644 "# storestack OpenVPN: the clients' pool, masqueraded behind the instance.
table ip ${NFT_TABLE}
delete table ip ${NFT_TABLE}
table ip ${NFT_TABLE} {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr ${VPN_CIDR} ip daddr != ${VPN_CIDR} masquerade
  }
}
"
  nft -f "${NFT_FILE}"

  put_file "${SYSTEMD_DIR}/${SERVICE}.service.d/storestack-nat.conf" 0644 "[Service]
ExecStartPre=/usr/sbin/nft -f ${NFT_FILE}
"
  if [[ ${FILE_CHANGED} == true ]]; then
    systemctl daemon-reload
    SERVER_CHANGED=true
  fi
}

install_client_scripts() {
  mkdir -p -- "${PROFILE_DIR}"
  chmod 0700 -- "${CLIENT_DIR}" "${PROFILE_DIR}"
  put_file "${CLIENT_DIR}/make_config.sh" 0700 "${MAKE_CONFIG_SCRIPT}"$'\n'
  put_file "${CLIENT_DIR}/revoke_client.sh" 0700 "${REVOKE_CLIENT_SCRIPT}"$'\n'
}

main() {
  install_packages
  find_easyrsa
  take_lock
  restore_or_create_pki
  install_server_files
  route_clients
  install_client_scripts
  systemctl enable "${SERVICE}"
  if [[ ${SERVER_CHANGED} == true ]] || ! systemctl is-active --quiet "${SERVICE}"; then
    systemctl restart "${SERVICE}"
    log "${SERVICE} (re)started"
  else
    log "${SERVICE} is running and up to date"
  fi
  log "client scripts: ${CLIENT_DIR}/make_config.sh <username>, ${CLIENT_DIR}/revoke_client.sh <username>"
}

main "$@"
