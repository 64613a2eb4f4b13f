#!/bin/bash
# shellcheck disable=SC2154 # HAPROXY_CONFIG comes from the header render.ts writes.
#
# HAProxy gateway set-up (hosting document, section 6.D): EC2 user data for Amazon Linux 2023.
# render.ts puts a header before this body:
#   HAPROXY_CONFIG  the whole haproxy.cfg this gateway runs with
# It installs HAProxy, checks the new configuration with `haproxy -c` before it replaces the live
# one (a configuration HAProxy refuses never reaches the running service), then enables the
# service and starts it, or reloads it when the configuration changed (a reload keeps the open
# sessions). Running it again with the same configuration changes nothing.
#
# The tests override the configuration's location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly HAPROXY_CFG="${STORESTACK_HAPROXY_CFG:-/etc/haproxy/haproxy.cfg}"

log() {
  printf 'storestack-gateway: %s\n' "$*"
}

fail() {
  printf 'storestack-gateway: ERROR: %s\n' "$*" >&2
  exit 1
}

# True when both files exist and hold the same bytes (cmp is not on every image).
same_content() {
  [[ -f $1 && -f $2 ]] || return 1
  local a b
  a="$(
    cat -- "$1"
    printf x
  )"
  b="$(
    cat -- "$2"
    printf x
  )"
  [[ $a == "$b" ]]
}

[[ -n ${HAPROXY_CONFIG:-} ]] || fail 'HAPROXY_CONFIG is empty'

if rpm -q --quiet haproxy; then
  log 'haproxy is installed'
else
  log 'installing haproxy'
  dnf install -y haproxy
fi

# The gateway listens on and connects to ports the SELinux policy does not give HAProxy. Amazon
# Linux 2023 runs SELinux permissive by default; this keeps an enforcing host working too.
if command -v selinuxenabled >/dev/null && selinuxenabled; then
  log 'SELinux is enabled: allowing haproxy to connect to any port'
  setsebool -P haproxy_connect_any 1
fi

mkdir -p -- "${HAPROXY_CFG%/*}"
# Written beside the live file, so that the move replaces it in one step.
candidate="$(mktemp -- "${HAPROXY_CFG}.XXXXXX")"
trap 'rm -f -- "$candidate"' EXIT
printf '%s\n' "$HAPROXY_CONFIG" >"$candidate"
chmod 0644 -- "$candidate"

haproxy -c -f "$candidate" || fail "haproxy refuses the new configuration; ${HAPROXY_CFG} is left as it was"

changed=false
if same_content "$candidate" "$HAPROXY_CFG"; then
  log "${HAPROXY_CFG} is up to date"
else
  mv -f -- "$candidate" "$HAPROXY_CFG"
  changed=true
  log "wrote ${HAPROXY_CFG}"
fi

systemctl enable haproxy
if [[ $changed == true ]] || ! systemctl is-active --quiet haproxy; then
  # Starts a stopped service; a running one re-reads its configuration without dropping sessions.
  systemctl reload-or-restart haproxy
  log 'haproxy (re)started'
else
  log 'haproxy is running with this configuration'
fi
