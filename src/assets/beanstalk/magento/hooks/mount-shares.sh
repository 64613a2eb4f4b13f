#!/bin/bash
# shellcheck disable=SC2154 # the MAGENTO_* settings come from the header render.ts writes.
#
# Beanstalk prebuild hook 10: mounts the environment's shares at stable mount points and links
# them into the release about to be deployed. Beanstalk replaces /var/app/current on every
# deploy, so the shares are never mounted inside a release: they stay mounted under
# MAGENTO_MOUNTS_ROOT for the life of the instance, and each release only holds symbolic links to
# them (README's deviation "NFS mounted into /var/app/current"). render.ts writes a header:
#   MAGENTO_ENVIRONMENT            the environment's name, for the log
#   MAGENTO_PARAMETER_PATH         SSM path of the environment, e.g. /storestack/prod
#   MAGENTO_REGION                 the region of the SSM parameters
#   MAGENTO_MOUNTS_ROOT            where the shares are mounted, one directory per share
#   MAGENTO_FILE_SYSTEM            nfs-server or efs
#   MAGENTO_MOUNT_TIMEOUT_SECONDS  how long a share may take to mount before the deploy fails
#   MAGENTO_MOUNTS                 release path and share, two entries per mount
# A share's mount source is read from SSM, <MAGENTO_PARAMETER_PATH>/shares/<share>: for the NFS
# server nfs.<internal domain>:/exports/<env>/<share>, for EFS <file system id>:<access point id>.
# A share that cannot be mounted fails the hook, which aborts the deploy on this instance before
# anything of the new release runs. Running it again changes nothing.
#
# pub/static in the bundle is the release's build output. It is published to the statics share
# as version<N>/ by the release itself, before any instance switches, so the bundle's copy is
# dropped here with its .htaccess: nginx serves the statics and ignores .htaccess files.
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/staging}"
readonly MOUNTS_ROOT="${STORESTACK_MOUNTS_ROOT:-${MAGENTO_MOUNTS_ROOT}}"
readonly FSTAB="${STORESTACK_FSTAB:-/etc/fstab}"
# What each share was mounted from, by this hook: the proof that a mounted share is the right
# one. For the NFS server, findmnt shows the source too; an EFS mount through efs-utils' TLS
# tunnel shows 127.0.0.1:/ whatever the file system.
readonly STATE_DIR="${STORESTACK_MOUNT_STATE_DIR:-/var/lib/storestack/mounts}"
readonly TIMEOUT_SECONDS="${STORESTACK_MOUNT_TIMEOUT_SECONDS:-${MAGENTO_MOUNT_TIMEOUT_SECONDS}}"
readonly POLL_SECONDS="${STORESTACK_POLL_SECONDS:-5}"
# A hard NFS mount of an unreachable server can hang for minutes: each attempt is cut off.
readonly ATTEMPT_MAX_SECONDS=60
# So can looking at a mounted share whose server is gone (mountpoint stats it).
readonly PROBE_SECONDS="${STORESTACK_PROBE_SECONDS:-20}"

# NFSv4.1 as AWS recommends for EFS and the NFS server alike: hard (never hand Magento an I/O
# error for a server that is restarting), long timeouts, and a new source port on reconnection
# (noresvport), so that a reconnection is not refused while the old connection is cleaned up.
readonly NFS_OPTIONS='nfsvers=4.1,hard,timeo=600,retrans=2,noresvport'
# In fstab as well, so that a rebooted instance mounts its shares again. nofail: a share missing
# at boot must not hold the instance in emergency mode, unreachable.
readonly FSTAB_EXTRA_OPTIONS='_netdev,nofail'

MOUNT_PATHS=()
MOUNT_SHARES=()
MOUNT_SOURCES=()

log() {
  printf 'storestack-mounts: %s\n' "$*"
}

fail() {
  printf 'storestack-mounts: ERROR: %s\n' "$*" >&2
  exit 1
}

read_config() {
  local i
  ((${#MAGENTO_MOUNTS[@]} > 0 && ${#MAGENTO_MOUNTS[@]} % 2 == 0)) ||
    fail "MAGENTO_MOUNTS must hold a release path and a share per mount (got ${#MAGENTO_MOUNTS[@]} entries)"
  case "${MAGENTO_FILE_SYSTEM}" in
  nfs-server | efs) ;;
  *) fail "MAGENTO_FILE_SYSTEM must be nfs-server or efs (got '${MAGENTO_FILE_SYSTEM}')" ;;
  esac
  [[ ${TIMEOUT_SECONDS} =~ ^[0-9]+$ ]] || fail "the mount timeout must be a whole number of seconds (got '${TIMEOUT_SECONDS}')"
  [[ ${POLL_SECONDS} =~ ^[0-9]+([.][0-9]+)?$ ]] || fail "the poll interval must be a number of seconds (got '${POLL_SECONDS}')"
  [[ -n ${EPOCHREALTIME:-} ]] || fail "bash 5 or later is needed (this is bash ${BASH_VERSION})"
  [[ -d ${RELEASE_DIR} ]] || fail "the release directory ${RELEASE_DIR} does not exist"
  for ((i = 0; i < ${#MAGENTO_MOUNTS[@]}; i += 2)); do
    MOUNT_PATHS+=("${MAGENTO_MOUNTS[i]}")
    MOUNT_SHARES+=("${MAGENTO_MOUNTS[i + 1]}")
  done
}

# Milliseconds since the epoch, from bash 5's EPOCHREALTIME (no process, and finer than SECONDS).
now_ms() {
  local micros="${EPOCHREALTIME/[.,]/}"
  printf '%s' "$((micros / 1000))"
}

# The NFS client, or efs-utils (the efs mount helper and its TLS tunnel), as the file system needs.
install_client() {
  local package=nfs-utils
  [[ ${MAGENTO_FILE_SYSTEM} == efs ]] && package=amazon-efs-utils
  if ! rpm -q --quiet "${package}"; then
    log "installing ${package}"
    dnf install -y -q "${package}"
  fi
}

# Reads every share's mount source before anything is mounted: a missing parameter or a
# source of the wrong form stops the hook with nothing changed.
read_sources() {
  local i share name source
  for i in "${!MOUNT_SHARES[@]}"; do
    share="${MOUNT_SHARES[i]}"
    name="${MAGENTO_PARAMETER_PATH}/shares/${share}"
    if ! source="$(aws ssm get-parameter --region "${MAGENTO_REGION}" --name "${name}" \
      --query Parameter.Value --output text)"; then
      fail "share ${share}: cannot read its mount source from the SSM parameter ${name} (the aws error is above)"
    fi
    if [[ ${MAGENTO_FILE_SYSTEM} == efs ]]; then
      [[ ${source} =~ ^fs-[0-9a-f]+:fsap-[0-9a-f]+$ ]] ||
        fail "share ${share}: ${name} holds '${source}', not an EFS mount source (fs-...:fsap-...)"
    else
      [[ ${source} =~ ^[A-Za-z0-9.-]+:/[A-Za-z0-9._/-]*$ ]] ||
        fail "share ${share}: ${name} holds '${source}', not an NFS mount source (host:/path)"
    fi
    MOUNT_SOURCES[i]="${source}"
  done
}

# Sets MOUNT_ARGS (the arguments of mount) and FSTAB_ENTRY for one share.
MOUNT_ARGS=()
FSTAB_ENTRY=''
mount_spec() {
  local source="$1" mount_point="$2"
  if [[ ${MAGENTO_FILE_SYSTEM} == efs ]]; then
    # efs-utils mounts the file system's root; the access point chooses the share's directory
    # (and the user its files belong to). tls: the file system refuses clients without it. iam:
    # the client signs in with the instance role, because a file system policy of its own (the
    # TLS rule) replaces EFS's default one, which let anonymous clients in.
    local file_system="${source%%:*}" access_point="${source#*:}"
    MOUNT_ARGS=(-t efs -o "tls,iam,accesspoint=${access_point}" "${file_system}:/" "${mount_point}")
    FSTAB_ENTRY="${file_system}:/ ${mount_point} efs tls,iam,accesspoint=${access_point},${FSTAB_EXTRA_OPTIONS} 0 0"
  else
    MOUNT_ARGS=(-t nfs4 -o "${NFS_OPTIONS}" "${source}" "${mount_point}")
    FSTAB_ENTRY="${source} ${mount_point} nfs4 ${NFS_OPTIONS},${FSTAB_EXTRA_OPTIONS} 0 0"
  fi
}

record_source() {
  local share="$1" source="$2" temporary
  mkdir -p "${STATE_DIR}"
  temporary="$(mktemp "${STATE_DIR}/.${share}.XXXXXX")"
  printf '%s\n' "${source}" >"${temporary}"
  mv -f "${temporary}" "${STATE_DIR}/${share}"
}

# True when something is mounted at the share's mount point. A mount that does not answer (its
# server is down) fails the hook rather than hold the deploy until Beanstalk's own timeout.
is_mounted() {
  local share="$1" mount_point="$2" status=0
  timeout --kill-after=5 "${PROBE_SECONDS}" mountpoint -q "${mount_point}" || status=$?
  case "${status}" in
  0) return 0 ;;
  124 | 137) fail "share ${share}: ${mount_point} is mounted but does not answer within ${PROBE_SECONDS} s; is its file server up?" ;;
  *) return 1 ;;
  esac
}

# True when the share is mounted from this source already. A mount point that holds something
# else fails the hook: switching storage under the release that is serving is not done here.
already_mounted() {
  local share="$1" source="$2" mount_point="$3" recorded='' current
  is_mounted "${share}" "${mount_point}" || return 1
  if [[ -f ${STATE_DIR}/${share} ]]; then recorded="$(<"${STATE_DIR}/${share}")"; fi
  [[ ${recorded} != "${source}" ]] || return 0
  current="$(findmnt --noheadings --output SOURCE --mountpoint "${mount_point}" || true)"
  if [[ ${MAGENTO_FILE_SYSTEM} == nfs-server && ${current} == "${source}" ]]; then
    record_source "${share}" "${source}"
    return 0
  fi
  fail "share ${share}: ${mount_point} is already mounted from ${current:-an unknown source}" \
    "${recorded:+(recorded as ${recorded})}, not from ${source}; unmount it (umount ${mount_point}) and deploy again"
}

# Mounts one share, retrying until the timeout: the file server may still be starting (a new
# environment), or its DNS name not yet resolvable.
mount_share() {
  local share="$1" source="$2" mount_point="$3"
  local deadline now remaining_ms limit attempt=0 output status
  mkdir -p "${mount_point}"
  if already_mounted "${share}" "${source}" "${mount_point}"; then
    log "share ${share}: already mounted from ${source} at ${mount_point}"
    return 0
  fi
  # The empty mount point is made immutable: if the share is ever missing (a failed mount at
  # boot), Magento's writes fail there instead of landing on this instance's disk, unseen by the
  # others. Mounting over it is unaffected. A guard only: its failure does not stop the deploy.
  if ! chattr +i "${mount_point}"; then
    log "WARNING: share ${share}: cannot make the empty ${mount_point} immutable (chattr +i)"
  fi
  mount_spec "${source}" "${mount_point}"
  now="$(now_ms)"
  deadline=$((now + TIMEOUT_SECONDS * 1000))
  while true; do
    attempt=$((attempt + 1))
    now="$(now_ms)"
    remaining_ms=$((deadline - now))
    ((remaining_ms > 1000)) || remaining_ms=1000
    ((remaining_ms < ATTEMPT_MAX_SECONDS * 1000)) || remaining_ms=$((ATTEMPT_MAX_SECONDS * 1000))
    limit="$((remaining_ms / 1000)).$(printf '%03d' $((remaining_ms % 1000)))"
    if output="$(timeout --kill-after=5 "${limit}" mount "${MOUNT_ARGS[@]}" 2>&1)"; then
      break
    else
      status=$?
    fi
    ((status != 124)) || output="no answer within ${limit} s"
    output="${output//$'\n'/ }"
    now="$(now_ms)"
    if ((now >= deadline)); then
      fail "share ${share}: cannot mount ${source} at ${mount_point} within ${TIMEOUT_SECONDS} s" \
        "(${attempt} attempts); last error: ${output:-mount exited with status ${status}}"
    fi
    log "share ${share}: mounting ${source} failed (attempt ${attempt}: ${output:-status ${status}}), retrying"
    sleep "${POLL_SECONDS}"
  done
  is_mounted "${share}" "${mount_point}" ||
    fail "share ${share}: mount reported success, but ${mount_point} is not a mount point"
  record_source "${share}" "${source}"
  log "share ${share}: mounted ${source} at ${mount_point}"
}

# Gives a mount point one entry in FSTAB_CONTENT: an entry already there for it is replaced in
# place, a duplicate dropped, every other line kept.
FSTAB_CONTENT=''
set_fstab_entry() {
  local mount_point="$1" entry="$2"
  FSTAB_CONTENT="$(
    printf '%s' "${FSTAB_CONTENT}" | MOUNT_POINT="${mount_point}" ENTRY="${entry}" awk '
      $1 !~ /^#/ && $2 == ENVIRON["MOUNT_POINT"] { if (!done) print ENVIRON["ENTRY"]; done = 1; next }
      { print }
      END { if (!done) print ENVIRON["ENTRY"] }
    '
  )"
}

# Writes fstab only when its content changes, through a copy renamed over it (never half a file).
write_fstab() {
  local current='' temporary
  if [[ -f ${FSTAB} ]]; then current="$(<"${FSTAB}")"; fi
  [[ ${current} != "${FSTAB_CONTENT}" ]] || return 0
  temporary="$(mktemp "${FSTAB}.storestack.XXXXXX")"
  if [[ -f ${FSTAB} ]]; then cp --preserve=all "${FSTAB}" "${temporary}"; else chmod 644 "${temporary}"; fi
  printf '%s\n' "${FSTAB_CONTENT}" >"${temporary}"
  mv -f "${temporary}" "${FSTAB}"
  log "${FSTAB} updated"
  # systemd generates mount units from fstab, and warns while they are out of date.
  systemctl daemon-reload
}

# Replaces what the bundle ships at a release path by a link to the share's mount point.
link_release_path() {
  local path="$1" share="$2" link="${RELEASE_DIR}/$1" target="${MOUNTS_ROOT}/$2"
  if [[ -L ${link} && "$(readlink "${link}")" == "${target}" ]]; then
    log "${path}: already linked to ${target}"
    return 0
  fi
  # A share mounted inside the release itself (by hand, or by an older set-up) would be emptied
  # by the rm below.
  if [[ ! -L ${link} && -d ${link} ]] && mountpoint -q "${link}"; then
    fail "${path}: ${link} is a mount point; unmount it (umount ${link}) and deploy again"
  fi
  if [[ -e ${link} || -L ${link} ]]; then
    log "${path}: removing what the bundle ships there"
    rm -rf -- "${link}"
  fi
  mkdir -p "${link%/*}"
  ln -s "${target}" "${link}"
  log "${path}: linked to ${target} (share ${share})"
}

main() {
  local i
  read_config
  read_sources
  install_client
  mkdir -p "${MOUNTS_ROOT}"
  if [[ -f ${FSTAB} ]]; then FSTAB_CONTENT="$(<"${FSTAB}")"; fi
  for i in "${!MOUNT_SHARES[@]}"; do
    mount_share "${MOUNT_SHARES[i]}" "${MOUNT_SOURCES[i]}" "${MOUNTS_ROOT}/${MOUNT_SHARES[i]}"
    mount_spec "${MOUNT_SOURCES[i]}" "${MOUNTS_ROOT}/${MOUNT_SHARES[i]}"
    set_fstab_entry "${MOUNTS_ROOT}/${MOUNT_SHARES[i]}" "${FSTAB_ENTRY}"
  done
  write_fstab
  for i in "${!MOUNT_PATHS[@]}"; do
    link_release_path "${MOUNT_PATHS[i]}" "${MOUNT_SHARES[i]}"
  done
  log "${MAGENTO_ENVIRONMENT}: ${#MOUNT_SHARES[@]} share(s) mounted under ${MOUNTS_ROOT} and linked into ${RELEASE_DIR}"
}

main "$@"
