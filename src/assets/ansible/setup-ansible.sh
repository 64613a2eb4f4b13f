#!/bin/bash
# shellcheck disable=SC2154 # The ANSIBLE_* settings come from the header render.ts writes.
#
# Ansible control node set-up: EC2 user data for Amazon Linux 2023. render.ts puts a header
# before this body:
#   ANSIBLE_USER               the user the playbooks run as, created with a home
#   ANSIBLE_INVENTORY          where the inventory goes (/etc/ansible/hosts)
#   ANSIBLE_INVENTORY_CONTENT  the inventory: the platform's internal names, by group
# Running it again changes nothing: packages and user are kept, the inventory is rewritten only
# when its content changes.
#
# The tests put every system location under STORESTACK_ROOT. The system commands are called by
# name, so the tests can stub them on PATH.
set -euo pipefail

readonly ROOT="${STORESTACK_ROOT:-}"
readonly PACKAGES=(ansible-core git python3-boto3)

log() {
  printf 'storestack-ansible: %s\n' "$*"
}

fail() {
  printf 'storestack-ansible: ERROR: %s\n' "$*" >&2
  exit 1
}

install_packages() {
  local package missing=()
  for package in "${PACKAGES[@]}"; do
    rpm -q --quiet --whatprovides "${package}" || missing+=("${package}")
  done
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    dnf install -y "${missing[@]}"
  else
    log 'the packages are installed'
  fi
}

ensure_user() {
  if id -u "${ANSIBLE_USER}" >/dev/null 2>&1; then
    log "user ${ANSIBLE_USER} exists"
  else
    log "creating user ${ANSIBLE_USER}"
    useradd --create-home --shell /bin/bash --comment 'storestack Ansible' "${ANSIBLE_USER}"
  fi
}

# Writes the inventory when its content differs, through a temporary copy renamed over it.
write_inventory() {
  local file="${ROOT}${ANSIBLE_INVENTORY}" temporary
  mkdir -p -- "${file%/*}"
  chmod 755 "${file%/*}"
  if [[ -f ${file} && "$(<"${file}")" == "${ANSIBLE_INVENTORY_CONTENT}" ]]; then
    log "${ANSIBLE_INVENTORY} is up to date"
    return 0
  fi
  temporary="$(mktemp -- "${file}.storestack.XXXXXX")"
  printf '%s\n' "${ANSIBLE_INVENTORY_CONTENT}" >"${temporary}"
  chmod 644 "${temporary}"
  mv -f -- "${temporary}" "${file}"
  log "${ANSIBLE_INVENTORY} updated"
}

main() {
  [[ -n ${ANSIBLE_INVENTORY_CONTENT:-} ]] || fail 'ANSIBLE_INVENTORY_CONTENT is empty'
  install_packages
  ensure_user
  write_inventory
  log "control node ready: ansible-core, inventory ${ANSIBLE_INVENTORY}, user ${ANSIBLE_USER}"
}

main "$@"
