#!/bin/bash
# shellcheck disable=SC2154 # VOLUME_NAME, VOLUME_ID, VOLUME_MOUNT_POINT and VOLUME_WAIT_SECONDS come from the header render.ts writes.
#
# Data volume bootstrap (hosting document 6.B: Rundeck's persistent data lives on an EBS volume
# that outlives the instance). render.ts puts a header before this body:
#   VOLUME_NAME          a name for the logs, e.g. rundeck-data
#   VOLUME_ID            the EBS volume id
#   VOLUME_MOUNT_POINT   where it is mounted, e.g. /var/lib/rundeck
#   VOLUME_WAIT_SECONDS  how long to wait for the attachment
# It waits for the volume by its id, formats it (xfs) only when blkid finds nothing at all on it,
# mounts it by UUID through /etc/fstab (nofail), and changes nothing when run again. The tests
# override the system locations from the environment and stub the system commands on PATH.
set -euo pipefail

readonly DEV_BY_ID="${STORESTACK_DEV_BY_ID:-/dev/disk/by-id}"
readonly FSTAB="${STORESTACK_FSTAB:-/etc/fstab}"
readonly MOUNT_POINT="${STORESTACK_MOUNT_POINT:-${VOLUME_MOUNT_POINT}}"
readonly WAIT_SECONDS="${STORESTACK_WAIT_SECONDS:-${VOLUME_WAIT_SECONDS}}"
readonly POLL_SECONDS="${STORESTACK_POLL_SECONDS:-2}"
readonly MOUNT_OPTIONS='defaults,nofail'

vlog() {
  printf 'storestack-volume: %s\n' "$*"
}

vfail() {
  printf 'storestack-volume: ERROR: %s\n' "$*" >&2
  exit 1
}

# Replaces a file's content when it differs, through a temporary copy renamed over it (a crash
# never leaves half a file; the copy keeps the owner, mode and SELinux label). Sets FILE_CHANGED.
FILE_CHANGED=false
replace_file() {
  local file="$1" content="$2" mode="${3:-644}" temporary
  FILE_CHANGED=false
  if [[ -f ${file} && "$(<"${file}")" == "${content}" ]]; then return 0; fi
  temporary="$(mktemp "${file}.storestack.XXXXXX")"
  if [[ -f ${file} ]]; then
    cp --preserve=all "${file}" "${temporary}"
  else
    chmod "${mode}" "${temporary}"
  fi
  printf '%s\n' "${content}" >"${temporary}"
  mv -f "${temporary}" "${file}"
  FILE_CHANGED=true
}

# Sets FS_TYPE and FS_UUID from what blkid -p (the device itself, not its cache) finds, both empty
# when the device is blank (exit status 2). Anything but one filesystem (a partition table, an
# LVM or RAID member, a probing error) stops the script: such a volume holds data.
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
  *) vfail "blkid cannot tell what ${device} (volume ${VOLUME_ID}) holds (exit status ${status}); leaving it alone" ;;
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
    vfail "${device} (volume ${VOLUME_ID}) holds something other than one filesystem (${output//$'\n'/ }); leaving it alone"
  fi
}

# The udev link of an EBS volume on Nitro: the NVMe serial number is the volume id without its
# dash (vol-0abc -> nvme-Amazon_Elastic_Block_Store_vol0abc). The kernel names (nvme1n1, ...) and
# the attachment's device name are not stable.
DEVICE=''
wait_for_volume() {
  local link="${DEV_BY_ID}/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID//-/}" deadline
  deadline=$((SECONDS + WAIT_SECONDS))
  until [[ -e ${link} ]]; do
    if ((SECONDS >= deadline)); then
      vfail "volume ${VOLUME_ID} (${VOLUME_NAME}) is not attached after ${WAIT_SECONDS} s (no ${link});" \
        'nothing was formatted or mounted'
    fi
    sleep "${POLL_SECONDS}"
  done
  DEVICE="$(readlink -f "${link}")"
  vlog "volume ${VOLUME_ID} (${VOLUME_NAME}) is ${DEVICE}"
}

# One fstab entry for the mount point: an entry already there for it is replaced in place (the
# volume may have been replaced), duplicates are dropped, the other lines are kept. By UUID, as
# NVMe names change between boots; nofail, so that a missing volume does not stop the boot.
write_fstab() {
  local entry="UUID=${FS_UUID} ${MOUNT_POINT} ${FS_TYPE} ${MOUNT_OPTIONS} 0 2" current='' content
  if [[ -f ${FSTAB} ]]; then current="$(<"${FSTAB}")"; fi
  content="$(
    printf '%s' "${current}" | TARGET="${MOUNT_POINT}" ENTRY="${entry}" awk '
      $1 !~ /^#/ && $2 == ENVIRON["TARGET"] { if (!done) print ENVIRON["ENTRY"]; done = 1; next }
      { print }
      END { if (!done) print ENVIRON["ENTRY"] }
    '
  )"
  replace_file "${FSTAB}" "${content}"
  if [[ ${FILE_CHANGED} == true ]]; then
    vlog "${FSTAB} updated"
    # systemd generates mount units from fstab.
    systemctl daemon-reload
  fi
}

bootstrap_volume() {
  local source
  [[ ${VOLUME_ID} =~ ^vol-[0-9a-f]+$ ]] || vfail "'${VOLUME_ID}' is not an EBS volume id"
  [[ ${WAIT_SECONDS} =~ ^[0-9]+$ ]] || vfail "the wait timeout must be a whole number of seconds (got '${WAIT_SECONDS}')"
  [[ ${POLL_SECONDS} =~ ^[0-9]+([.][0-9]+)?$ ]] || vfail "the poll interval must be a number of seconds (got '${POLL_SECONDS}')"
  wait_for_volume
  probe_filesystem "${DEVICE}"
  if [[ -z ${FS_TYPE} ]]; then
    vlog "${DEVICE} is blank, creating an xfs filesystem"
    # No -f: mkfs.xfs refuses to overwrite a signature it finds, a second guard after blkid.
    mkfs.xfs -q "${DEVICE}"
    # Let udev publish /dev/disk/by-uuid for the new filesystem before mount looks it up.
    udevadm trigger --action=change "${DEVICE}"
    udevadm settle
    probe_filesystem "${DEVICE}"
    [[ -n ${FS_UUID} ]] || vfail "no filesystem found on ${DEVICE} after mkfs.xfs"
  else
    vlog "${DEVICE} already holds a ${FS_TYPE} filesystem (UUID ${FS_UUID}), keeping it"
  fi
  write_fstab
  mkdir -p "${MOUNT_POINT}"
  if mountpoint -q "${MOUNT_POINT}"; then
    source="$(findmnt --noheadings --output SOURCE --mountpoint "${MOUNT_POINT}")"
    [[ "$(readlink -f "${source}")" == "${DEVICE}" ]] ||
      vfail "${MOUNT_POINT} is already mounted from ${source}, not from volume ${VOLUME_ID} (${DEVICE})"
    vlog "${MOUNT_POINT} is already mounted"
  else
    vlog "mounting ${MOUNT_POINT}"
    mount "${MOUNT_POINT}"
  fi
}

bootstrap_volume
