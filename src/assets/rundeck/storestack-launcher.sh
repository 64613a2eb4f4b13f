#!/bin/bash
# shellcheck disable=SC2154 # PACKAGE_PARAMETER, NODE_BIN and LAUNCHER_REGION come from the header render.ts writes.
#
# storestack on the Rundeck build host (hosting document 6.B, "storestack installed"). The Ops
# stack ships storestack as an operations package (a CDK file asset: the CLI bundle, the
# platform's configuration and the asset files) and publishes its location in an SSM parameter,
# s3://<bucket>/<sha256>.zip. This launcher reads the parameter at every run, installs that
# package once under PACKAGES_DIR (downloaded and unpacked aside, then moved into place whole),
# and runs it with Node.js. A deploy of the Ops stack thus updates the CLI the Rundeck jobs run,
# without replacing the instance, and a run never uses a CLI older than the deployed platform:
# when the parameter cannot be read, nothing runs.
set -euo pipefail

readonly STORESTACK_HOME="${STORESTACK_HOME:-/opt/storestack}"
readonly PACKAGES_DIR="${STORESTACK_HOME}/packages"
readonly LOCK_FILE="${PACKAGES_DIR}/.lock"
# The packages kept: the current one and the two before it.
readonly KEPT_PACKAGES=3
export AWS_REGION="${AWS_REGION:-${LAUNCHER_REGION}}"

fail() {
  printf 'storestack: %s\n' "$*" >&2
  exit 1
}

location="$(aws ssm get-parameter --name "${PACKAGE_PARAMETER}" --query Parameter.Value --output text 2>&1)" ||
  fail "cannot read the operations package's location from the SSM parameter ${PACKAGE_PARAMETER}: ${location}"
[[ ${location} =~ ^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(.+/)?([0-9a-f]{64})\.zip$ ]] ||
  fail "the SSM parameter ${PACKAGE_PARAMETER} holds '${location}', not s3://<bucket>/<sha256>.zip"
readonly LOCATION="${location}"
readonly PACKAGE="${PACKAGES_DIR}/${BASH_REMATCH[2]}"

# Downloads and unpacks the package into a scratch directory beside its place, checks that it
# holds the entry and the configuration, then renames it into place: a failed or interrupted
# install leaves no package behind, and the next run starts again.
install_package() {
  local work
  work="$(mktemp -d "${PACKAGES_DIR}/.install.XXXXXX")"
  printf 'storestack: installing the operations package %s\n' "${LOCATION}" >&2
  if ! aws s3 cp --only-show-errors "${LOCATION}" "${work}/package.zip" >&2; then
    rm -rf "${work}"
    fail "cannot download the operations package ${LOCATION}"
  fi
  if ! unzip -q "${work}/package.zip" -d "${work}/package" >&2; then
    rm -rf "${work}"
    fail "the operations package ${LOCATION} is not a readable zip"
  fi
  if [[ ! -f ${work}/package/storestack.mjs || ! -f ${work}/package/platform.json ]]; then
    rm -rf "${work}"
    fail "the operations package ${LOCATION} holds no storestack.mjs and platform.json"
  fi
  mv -T "${work}/package" "${PACKAGE}"
  rm -rf "${work}"
}

# Removes all but the newest packages, never the one about to run. Best effort: a package
# another user installed may not be removable by this one.
prune_packages() {
  local -a packages
  mapfile -t packages < <(find "${PACKAGES_DIR}" -mindepth 1 -maxdepth 1 -type d -regextype egrep \
    -regex '.*/[0-9a-f]{64}' -printf '%T@ %p\n' | sort -rn | cut -d' ' -f2-)
  local index
  for ((index = KEPT_PACKAGES; index < ${#packages[@]}; index++)); do
    [[ ${packages[index]} == "${PACKAGE}" ]] || rm -rf "${packages[index]}" 2>/dev/null || true
  done
}

if [[ ! -f ${PACKAGE}/storestack.mjs ]]; then
  # One install at a time (two jobs may start together); the second finds the package there.
  exec 9<"${LOCK_FILE}" || fail "cannot open ${LOCK_FILE}: is storestack set up on this host?"
  flock 9
  [[ -f ${PACKAGE}/storestack.mjs ]] || install_package
  touch "${PACKAGE}" 2>/dev/null || true
  prune_packages
  exec 9<&-
fi
exec "${NODE_BIN}" "${PACKAGE}/storestack.mjs" "$@"
