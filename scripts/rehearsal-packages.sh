#!/usr/bin/env bash
# The Debian packages the release rehearsal (storestack rehearse, npm run bench:release) runs:
# the daemons of the miniature and the tools its instances' scripts use. Installs the missing
# ones without starting their system services (the rehearsal starts its own, on loopback).
set -euo pipefail

readonly PACKAGES=(haproxy nginx php8.2-fpm php8.2-cli php8.2-mysql php8.2-redis mariadb-server mariadb-client
  redis-server unzip zip git openssl util-linux)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  echo "rehearsal packages: all installed"
  exit 0
fi
echo "rehearsal packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
own_policy=false
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=true
fi
trap 'if [[ $own_policy == true ]]; then rm -f "$policy"; fi' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
