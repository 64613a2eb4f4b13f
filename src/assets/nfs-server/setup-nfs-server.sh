#!/bin/bash
# shellcheck disable=SC2154 # NFS_SHARES, NFS_EXPORT_CIDRS, NFS_WAIT_SECONDS, NFS_SHARE_OWNER and NFS_AGENT_CONFIG come from the header render.ts writes.
#
# NFS server set-up (hosting document, section 6.C): EC2 user data for Amazon Linux 2023 on a
# Nitro instance with one EBS volume per share. render.ts puts a header before this body:
#   NFS_SHARES        name, EBS volume id and mount point of each share (three entries per share)
#   NFS_EXPORT_CIDRS  the client CIDR blocks that every share is exported to
#   NFS_WAIT_SECONDS  how long to wait for the volumes to be attached
#   NFS_SHARE_OWNER   uid:gid that owns the root of a freshly formatted share (the clients' web user)
#   NFS_AGENT_CONFIG  the CloudWatch agent's configuration (the disk usage of each share)
# Running it again changes nothing. It never formats a volume that holds anything, and it only
# rewrites a file (fstab, exports, the agent's configuration) when its content has to change.
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly DEV_BY_ID="${STORESTACK_DEV_BY_ID:-/dev/disk/by-id}"
readonly FSTAB="${STORESTACK_FSTAB:-/etc/fstab}"
readonly EXPORTS="${STORESTACK_EXPORTS:-/etc/exports}"
readonly WAIT_SECONDS="${STORESTACK_WAIT_SECONDS:-${NFS_WAIT_SECONDS}}"
readonly POLL_SECONDS="${STORESTACK_POLL_SECONDS:-2}"
# Not in the agent's etc directory, whose amazon-cloudwatch-agent.json fetch-config deletes.
readonly AGENT_CONFIG="${STORESTACK_AGENT_CONFIG:-/etc/storestack/nfs-cloudwatch-agent.json}"
readonly AGENT_CTL="${STORESTACK_AGENT_CTL:-/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl}"
readonly AGENT='amazon-cloudwatch-agent' # the package and its systemd unit

readonly MOUNT_OPTIONS='defaults,nofail'
# mountpoint: exportfs skips a share whose volume is not mounted. Without it, a volume that
# is missing at boot (nofail lets the boot go on) would leave the empty directory on the root
# volume exported, and clients would write into it.
readonly EXPORT_OPTIONS='rw,sync,no_subtree_check,root_squash,mountpoint'

SHARE_NAMES=()
SHARE_VOLUMES=()
SHARE_MOUNTS=()
SHARE_DEVICES=()  # the device of each share, once its volume is attached
SHARE_FS_TYPES=() # what blkid found on it: a filesystem type, or nothing when it is blank
SHARE_FS_UUIDS=()
SHARE_FORMATTED=() # true for a share whose volume this run formatted

log() {
  printf 'storestack-nfs: %s\n' "$*"
}

fail() {
  printf 'storestack-nfs: ERROR: %s\n' "$*" >&2
  exit 1
}

# Splits the header's flat NFS_SHARES list into one array per field, and checks the settings.
read_config() {
  local i
  ((${#NFS_SHARES[@]} > 0 && ${#NFS_SHARES[@]} % 3 == 0)) ||
    fail "NFS_SHARES must hold a name, a volume id and a mount point per share (got ${#NFS_SHARES[@]} entries)"
  ((${#NFS_EXPORT_CIDRS[@]} > 0)) || fail 'NFS_EXPORT_CIDRS is empty'
  [[ -n ${NFS_AGENT_CONFIG:-} ]] || fail 'NFS_AGENT_CONFIG is empty'
  [[ ${WAIT_SECONDS} =~ ^[0-9]+$ ]] || fail "the wait timeout must be a whole number of seconds (got '${WAIT_SECONDS}')"
  [[ -n ${EPOCHREALTIME:-} ]] || fail "bash 5 or later is needed (this is bash ${BASH_VERSION})"
  [[ ${POLL_SECONDS} =~ ^[0-9]+([.][0-9]+)?$ ]] || fail "the poll interval must be a number of seconds (got '${POLL_SECONDS}')"
  for ((i = 0; i < ${#NFS_SHARES[@]}; i += 3)); do
    SHARE_NAMES+=("${NFS_SHARES[i]}")
    SHARE_VOLUMES+=("${NFS_SHARES[i + 1]}")
    SHARE_MOUNTS+=("${NFS_SHARES[i + 2]}")
  done
}

# The udev symlink of an EBS volume. The NVMe kernel names (/dev/nvme1n1, ...) follow the
# order in which the devices are found, and on Nitro the device name given to the attachment is
# only a hint. The serial number of the NVMe device is the volume id without its dash, and udev
# names the link after it: vol-0abc -> nvme-Amazon_Elastic_Block_Store_vol0abc.
volume_link() {
  printf '%s/nvme-Amazon_Elastic_Block_Store_%s' "${DEV_BY_ID}" "${1//-/}"
}

# Milliseconds since the epoch, from bash 5's EPOCHREALTIME (no process, and finer than SECONDS).
now_ms() {
  local micros="${EPOCHREALTIME/[.,]/}"
  printf '%s' "$((micros / 1000))"
}

# Fills SHARE_DEVICES. The attachments are made after the instance starts, so they can lag
# behind the boot. The volumes are waited for together, up to one deadline, and nothing is
# touched until all of them are there. When the deadline passes, every missing volume is
# reported and the script fails.
wait_for_volumes() {
  local deadline now i link
  local -a missing
  now="$(now_ms)"
  deadline=$((now + WAIT_SECONDS * 1000))
  while true; do
    missing=()
    for i in "${!SHARE_VOLUMES[@]}"; do
      [[ -z ${SHARE_DEVICES[i]:-} ]] || continue
      link="$(volume_link "${SHARE_VOLUMES[i]}")"
      if [[ -e ${link} ]]; then
        SHARE_DEVICES[i]="$(readlink -f "${link}")"
        log "share ${SHARE_NAMES[i]}: volume ${SHARE_VOLUMES[i]} is ${SHARE_DEVICES[i]}"
      else
        missing+=("${i}")
      fi
    done
    ((${#missing[@]} > 0)) || return 0
    now="$(now_ms)"
    if ((now >= deadline)); then
      for i in "${missing[@]}"; do
        link="$(volume_link "${SHARE_VOLUMES[i]}")"
        printf 'storestack-nfs: ERROR: share %s: volume %s is not attached after %s s (no %s)\n' \
          "${SHARE_NAMES[i]}" "${SHARE_VOLUMES[i]}" "${WAIT_SECONDS}" "${link}" >&2
      done
      fail "${#missing[@]} volume(s) missing; nothing was formatted or mounted"
    fi
    sleep "${POLL_SECONDS}"
  done
}

# Sets FS_TYPE and FS_UUID from what blkid finds on the device, both empty when the device is
# blank. blkid -p probes the device itself rather than its cache. Exit status 2 means it found
# nothing at all. Anything else that is not one filesystem (a partition table, an LVM or RAID
# member, conflicting signatures, a probing error) stops the script: such a volume holds data.
FS_TYPE=''
FS_UUID=''
probe_filesystem() {
  local device="$1" output status=0 line usage='' other=''
  FS_TYPE=''
  FS_UUID=''
  output="$(blkid -p -o export "${device}")" || status=$?
  case "${status}" in
  0) ;;
  2) return 0 ;;
  *) fail "blkid cannot tell what ${device} holds (exit status ${status}); leaving it alone" ;;
  esac
  while IFS= read -r line; do
    case "${line}" in
    TYPE=*) FS_TYPE="${line#TYPE=}" ;;
    UUID=*) FS_UUID="${line#UUID=}" ;;
    USAGE=*) usage="${line#USAGE=}" ;;
    PTTYPE=* | PART_ENTRY_*) other+=" ${line}" ;;
    *) ;;
    esac
  done <<<"${output}"
  if [[ -z ${FS_TYPE} || -z ${FS_UUID} || -n ${other} || (-n ${usage} && ${usage} != filesystem) ]]; then
    fail "${device} holds something other than one filesystem (${output//$'\n'/ }); leaving it alone"
  fi
}

# Replaces a file's content when it differs, through a temporary copy renamed over it, so that
# a crash never leaves half a file. The copy keeps the file's owner, mode and SELinux label.
# Sets FILE_CHANGED.
FILE_CHANGED=false
replace_file() {
  local file="$1" content="$2" current temporary
  FILE_CHANGED=false
  if [[ -f ${file} ]]; then
    current="$(<"${file}")"
    [[ ${current} != "${content}" ]] || return 0
  fi
  temporary="$(mktemp "${file}.storestack.XXXXXX")"
  if [[ -f ${file} ]]; then
    cp --preserve=all "${file}" "${temporary}"
  else
    chmod 644 "${temporary}"
  fi
  printf '%s\n' "${content}" >"${temporary}"
  mv -f "${temporary}" "${file}"
  FILE_CHANGED=true
}

# Gives a mount point one entry in FSTAB_CONTENT (the new fstab, written once all the shares
# are prepared). An entry already there for it is replaced in place (the volume may have been
# replaced), any duplicate is dropped, and the other lines are kept.
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

# Probes every volume before any is formatted: a volume found holding something unexpected
# stops the script before it has changed anything.
probe_volumes() {
  local i
  for i in "${!SHARE_DEVICES[@]}"; do
    probe_filesystem "${SHARE_DEVICES[i]}"
    SHARE_FS_TYPES[i]="${FS_TYPE}"
    SHARE_FS_UUIDS[i]="${FS_UUID}"
  done
}

# Formats the share's volume if it is blank, and points its fstab entry at it. By UUID,
# because the NVMe names can change between boots. nofail, because a missing volume must not
# stop the boot: the instance would wait in emergency mode, unreachable, without its other shares.
prepare_share() {
  local i="$1" device="${SHARE_DEVICES[$1]}"
  if [[ -z ${SHARE_FS_TYPES[i]} ]]; then
    log "share ${SHARE_NAMES[i]}: ${device} is blank, creating an xfs filesystem"
    # No -f: mkfs.xfs refuses to overwrite a signature it finds, a second guard after blkid.
    mkfs.xfs -q "${device}"
    # Let udev publish /dev/disk/by-uuid for the new filesystem before mount looks it up.
    udevadm trigger --action=change "${device}"
    udevadm settle
    probe_filesystem "${device}"
    [[ -n ${FS_UUID} ]] || fail "share ${SHARE_NAMES[i]}: no filesystem found on ${device} after mkfs.xfs"
    SHARE_FS_TYPES[i]="${FS_TYPE}"
    SHARE_FS_UUIDS[i]="${FS_UUID}"
    SHARE_FORMATTED[i]=true
  else
    log "share ${SHARE_NAMES[i]}: ${device} already holds a ${SHARE_FS_TYPES[i]} filesystem" \
      "(UUID ${SHARE_FS_UUIDS[i]}), keeping it"
  fi
  set_fstab_entry "${SHARE_MOUNTS[i]}" \
    "UUID=${SHARE_FS_UUIDS[i]} ${SHARE_MOUNTS[i]} ${SHARE_FS_TYPES[i]} ${MOUNT_OPTIONS} 0 2"
}

mount_share() {
  local i="$1" mount_point="${SHARE_MOUNTS[$1]}"
  mkdir -p "${mount_point}"
  if mountpoint -q "${mount_point}"; then
    log "share ${SHARE_NAMES[i]}: ${mount_point} is already mounted"
  else
    log "share ${SHARE_NAMES[i]}: mounting ${mount_point}"
    mount "${mount_point}"
  fi
  # A new filesystem's root belongs to root, and root_squash maps the clients' root to nobody:
  # hand it to the clients' web user, group-writable and setgid so new files stay in its group.
  # Only on a volume this run formatted: an existing share keeps whatever ownership it has.
  if [[ ${SHARE_FORMATTED[i]:-false} == true ]]; then
    log "share ${SHARE_NAMES[i]}: giving ${mount_point} to ${NFS_SHARE_OWNER} (mode 2775)"
    chown "${NFS_SHARE_OWNER}" "${mount_point}"
    chmod 2775 "${mount_point}"
  fi
}

# One line per share, exporting it to each client CIDR block and nowhere else.
exports_content() {
  local i cidr line
  printf '# Written by the storestack NFS server user data: edits are overwritten.\n'
  for i in "${!SHARE_MOUNTS[@]}"; do
    line="${SHARE_MOUNTS[i]}"
    for cidr in "${NFS_EXPORT_CIDRS[@]}"; do
      line+=" ${cidr}(${EXPORT_OPTIONS})"
    done
    printf '%s\n' "${line}"
  done
}

# Installs the packages that are missing, in one transaction.
install_packages() {
  local package
  local -a missing=()
  for package in "$@"; do
    rpm -q --quiet "${package}" || missing+=("${package}")
  done
  ((${#missing[@]} > 0)) || return 0
  log "installing ${missing[*]}"
  dnf install -y -q "${missing[@]}"
}

# Publishes each share's disk usage (render.ts says what). fetch-config checks the configuration,
# then restarts the agent and enables it at boot.
start_disk_metrics() {
  mkdir -p "${AGENT_CONFIG%/*}"
  replace_file "${AGENT_CONFIG}" "${NFS_AGENT_CONFIG}"
  if [[ ${FILE_CHANGED} == true ]]; then log "${AGENT_CONFIG} updated"; fi
  if [[ ${FILE_CHANGED} == true ]] || ! systemctl is-active --quiet "${AGENT}"; then
    log "starting the CloudWatch agent with ${AGENT_CONFIG}"
    "${AGENT_CTL}" -a fetch-config -m ec2 -s -c "file:${AGENT_CONFIG}"
  fi
}

main() {
  local i exports
  read_config
  # Installed first: the download overlaps with the wait for the attachments.
  install_packages nfs-utils "${AGENT}"

  wait_for_volumes
  probe_volumes
  if [[ -f ${FSTAB} ]]; then FSTAB_CONTENT="$(<"${FSTAB}")"; fi
  for i in "${!SHARE_NAMES[@]}"; do
    prepare_share "${i}"
  done
  replace_file "${FSTAB}" "${FSTAB_CONTENT}"
  # systemd generates mount units from fstab, and mount warns while they are out of date.
  if [[ ${FILE_CHANGED} == true ]]; then
    log "${FSTAB} updated"
    systemctl daemon-reload
  fi
  for i in "${!SHARE_NAMES[@]}"; do
    mount_share "${i}"
  done

  exports="$(exports_content)"
  replace_file "${EXPORTS}" "${exports}"
  if [[ ${FILE_CHANGED} == true ]]; then log "${EXPORTS} updated"; fi
  # On the first run the server starts and reads the exports itself. On later runs it is
  # already running, and exportfs -ra applies the file to it.
  systemctl enable --now nfs-server
  exportfs -ra
  log "serving ${#SHARE_NAMES[@]} share(s) to ${NFS_EXPORT_CIDRS[*]}"
  # Last: the shares are mounted (measured, not the root volume) and served whatever happens here.
  start_disk_metrics
}

main "$@"
