#!/bin/bash
# shellcheck disable=SC2154 # the FTP_* settings come from the header render.ts writes.
#
# Beanstalk postdeploy hook 30 of the connector: its FTP server (hosting document, section 3),
# vsftpd with one local user whose uploads land in the web root. The FTP root is not inside the
# release (Beanstalk replaces /var/app/current on every deploy) but the connector's share, mounted
# for the life of the instance at FTP_MOUNT_POINT; the release's upload directory is a link to it.
# render.ts writes a header:
#   FTP_USER                      the FTP account, created here (no shell, in the web user's group)
#   FTP_WEB_USER                  the user PHP runs as (webapp), owner of the FTP root
#   FTP_UPLOAD_DIRECTORY          the release path linked to the FTP root, e.g. ftp
#   FTP_REGION                    the region of the SSM parameters and the secret
#   FTP_SHARE_PARAMETER           SSM parameter: the share's mount source (host:/path, or fs-...:fsap-...)
#   FTP_SECRET_ARN_PARAMETER      SSM parameter: the ARN of the secret {"password": "..."}
#   FTP_GATEWAY_IP_PARAMETER      SSM parameter: the public IP of the gateway, advertised in passive mode
#   FTP_GATEWAY_NAME              the gateway's name, for the messages
#   FTP_MOUNT_POINT               where the share is mounted: the FTP root and the user's home
#   FTP_FILE_SYSTEM               nfs-server or efs
#   FTP_MOUNT_TIMEOUT_SECONDS     how long the share may take to mount before the deploy fails
#   FTP_FILES_BUNDLE_DIR          the bundle's directory of the files installed here
#   FTP_VSFTPD_CONFIG             where vsftpd.conf goes
#   FTP_USERLIST_FILE             the users vsftpd (and its PAM service) let in: FTP_USER alone
#   FTP_PAM_SERVICE               vsftpd's PAM service, /etc/pam.d/<name>
#   FTP_PASV_ADDRESS_PLACEHOLDER  what the bundle's vsftpd.conf holds in place of the gateway's IP
# Every input is read and checked before anything changes. Then, each step only when needed:
# install vsftpd and the share's client, mount the share (retrying until the timeout), give its
# root to the web user (2775), create the FTP user and set its password, link the upload
# directory, install vsftpd's config, user list, PAM service and systemd drop-in (through a file
# renamed over the old one), and restart vsftpd when any of them changed. Running it again changes
# nothing.
#
# The password never reaches a command line (where ps shows it) nor the output: it travels in
# shell variables and through pipes. Nothing here turns on xtrace.
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/current}"
readonly BUNDLE_FILES="${RELEASE_DIR}/${FTP_FILES_BUNDLE_DIR}"
readonly FSTAB="${STORESTACK_FSTAB:-/etc/fstab}"
# What the share was mounted from, and which version of the secret the password comes from.
readonly STATE_DIR="${STORESTACK_FTP_STATE_DIR:-/var/lib/storestack/connector-ftp}"
readonly VSFTPD_CONFIG="${STORESTACK_VSFTPD_CONFIG:-${FTP_VSFTPD_CONFIG}}"
readonly USERLIST_FILE="${STORESTACK_VSFTPD_USERLIST:-${FTP_USERLIST_FILE}}"
readonly PAM_FILE="${STORESTACK_PAM_DIR:-/etc/pam.d}/${FTP_PAM_SERVICE}"
readonly DROP_IN="${STORESTACK_SYSTEMD_DIR:-/etc/systemd/system}/vsftpd.service.d/storestack.conf"
readonly TIMEOUT_SECONDS="${STORESTACK_MOUNT_TIMEOUT_SECONDS:-${FTP_MOUNT_TIMEOUT_SECONDS}}"
readonly POLL_SECONDS="${STORESTACK_POLL_SECONDS:-5}"
# How long vsftpd must stay up after a restart: a bad config makes it exit at once ("500 OOPS").
readonly SETTLE_SECONDS="${STORESTACK_SETTLE_SECONDS:-2}"
# A hard NFS mount of an unreachable server can hang for minutes: each attempt is cut off.
readonly ATTEMPT_MAX_SECONDS=60
# So can looking at a mounted share whose server is gone (mountpoint stats it).
readonly PROBE_SECONDS="${STORESTACK_PROBE_SECONDS:-20}"
# As the Magento hooks mount their shares: NFSv4.1, hard, new source port on reconnection.
readonly NFS_OPTIONS='nfsvers=4.1,hard,timeo=600,retrans=2,noresvport'
# In fstab as well, so that a rebooted instance mounts the share again; nofail: a missing share
# must not hold the instance in emergency mode (vsftpd's drop-in waits for the mount instead).
readonly FSTAB_EXTRA_OPTIONS='_netdev,nofail'
readonly FTP_SHELL=/sbin/nologin
# The FTP root and every directory of the web user in it: group-writable, setgid so that new
# files keep the web user's group (document: "chmoded to 775").
readonly ROOT_MODE=2775
readonly SERVICE=vsftpd
readonly IPV4='^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$'

SHARE_SOURCE=''
GATEWAY_IP=''
SECRET_ARN=''
SECRET_VERSION=''
FTP_PASSWORD=''
WEB_UID=''
WEB_GID=''
USER_CREATED=false
TEMPORARY=''

log() {
  printf 'storestack-ftp: %s\n' "$*"
}

fail() {
  printf 'storestack-ftp: ERROR: %s\n' "$*" >&2
  exit 1
}

# A file being written when the hook fails is removed: nothing is left half-done.
cleanup() {
  if [[ -n ${TEMPORARY} ]]; then rm -f -- "${TEMPORARY}"; fi
}
trap cleanup EXIT

read_config() {
  local name
  case "${FTP_FILE_SYSTEM}" in
  nfs-server | efs) ;;
  *) fail "FTP_FILE_SYSTEM must be nfs-server or efs (got '${FTP_FILE_SYSTEM}')" ;;
  esac
  [[ ${TIMEOUT_SECONDS} =~ ^[0-9]+$ ]] || fail "the mount timeout must be a whole number of seconds (got '${TIMEOUT_SECONDS}')"
  [[ ${POLL_SECONDS} =~ ^[0-9]+([.][0-9]+)?$ ]] || fail "the poll interval must be a number of seconds (got '${POLL_SECONDS}')"
  [[ ${SETTLE_SECONDS} =~ ^[0-9]+([.][0-9]+)?$ ]] || fail "the settle time must be a number of seconds (got '${SETTLE_SECONDS}')"
  [[ -n ${EPOCHREALTIME:-} ]] || fail "bash 5 or later is needed (this is bash ${BASH_VERSION})"
  [[ -d ${RELEASE_DIR} ]] || fail "the release directory ${RELEASE_DIR} does not exist"
  for name in vsftpd.conf vsftpd.pam vsftpd.service.conf; do
    [[ -f ${BUNDLE_FILES}/${name} ]] || fail "${BUNDLE_FILES}/${name} is missing from the bundle"
  done
  command -v php >/dev/null || fail 'php is not installed: the PHP platform provides it'
}

# Milliseconds since the epoch, from bash 5's EPOCHREALTIME (no process, and finer than SECONDS).
now_ms() {
  local micros="${EPOCHREALTIME/[.,]/}"
  printf '%s' "$((micros / 1000))"
}

PARAMETER=''
get_parameter() {
  local name="$1" what="$2"
  PARAMETER="$(aws ssm get-parameter --region "${FTP_REGION}" --name "${name}" \
    --query Parameter.Value --output text)" ||
    fail "cannot read ${what} from the SSM parameter ${name} (the aws error is above)"
}

# The secret's version and password. The response goes through a pipe to PHP (printf is a shell
# builtin: no process shows it); PHP prints the version, then the password, on stdout.
read_secret() {
  local response parsed status=0
  get_parameter "${FTP_SECRET_ARN_PARAMETER}" "the ARN of the FTP password's secret"
  SECRET_ARN="${PARAMETER}"
  response="$(aws secretsmanager get-secret-value --region "${FTP_REGION}" --secret-id "${SECRET_ARN}" \
    --output json)" ||
    fail "cannot read the FTP password's secret ${SECRET_ARN} (named by ${FTP_SECRET_ARN_PARAMETER}; the aws error is above)"
  # shellcheck disable=SC2016 # PHP code, not shell expansions.
  parsed="$(printf '%s' "${response}" | php -d display_errors=stderr -r '
    $response = json_decode(stream_get_contents(STDIN), true);
    $version = $response["VersionId"] ?? null;
    if (!is_string($version) || !preg_match("/^[A-Za-z0-9-]{1,64}$/", $version)) exit(3);
    $secret = json_decode($response["SecretString"] ?? "", true);
    $password = is_array($secret) ? ($secret["password"] ?? null) : null;
    if (!is_string($password) || $password === "") exit(4);
    if (preg_match("/[\\x00-\\x1f\\x7f]/", $password)) exit(5);
    echo $version, "\n", $password;')" || status=$?
  case "${status}" in
  0) ;;
  3) fail "the secret ${SECRET_ARN} has no version id in its answer" ;;
  4) fail "the secret ${SECRET_ARN} is not JSON with a non-empty \"password\" field" ;;
  5) fail "the password in the secret ${SECRET_ARN} holds control characters (chpasswd reads one line)" ;;
  *) fail "cannot read the secret ${SECRET_ARN}'s answer (php exited with status ${status})" ;;
  esac
  SECRET_VERSION="${parsed%%$'\n'*}"
  FTP_PASSWORD="${parsed#*$'\n'}"
}

# Every input, before anything changes: a missing parameter or a value of the wrong form stops
# the hook with nothing done.
read_inputs() {
  local what="the connector share's mount source"
  get_parameter "${FTP_SHARE_PARAMETER}" "${what}"
  SHARE_SOURCE="${PARAMETER}"
  if [[ ${FTP_FILE_SYSTEM} == efs ]]; then
    [[ ${SHARE_SOURCE} =~ ^fs-[0-9a-f]+:fsap-[0-9a-f]+$ ]] ||
      fail "${what}: ${FTP_SHARE_PARAMETER} holds '${SHARE_SOURCE}', not an EFS mount source (fs-...:fsap-...)"
  else
    [[ ${SHARE_SOURCE} =~ ^[A-Za-z0-9.-]+:/[A-Za-z0-9._/-]*$ ]] ||
      fail "${what}: ${FTP_SHARE_PARAMETER} holds '${SHARE_SOURCE}', not an NFS mount source (host:/path)"
  fi
  get_parameter "${FTP_GATEWAY_IP_PARAMETER}" "the public IP of the gateway ${FTP_GATEWAY_NAME}"
  GATEWAY_IP="${PARAMETER}"
  [[ ${GATEWAY_IP} =~ ${IPV4} ]] ||
    fail "${FTP_GATEWAY_IP_PARAMETER} holds '${GATEWAY_IP}', not the IPv4 address of the gateway ${FTP_GATEWAY_NAME}"
  read_secret
  local entry
  entry="$(getent passwd "${FTP_WEB_USER}")" ||
    fail "the web user ${FTP_WEB_USER} does not exist: this hook runs on the Beanstalk PHP platform"
  WEB_UID="$(printf '%s' "${entry}" | cut -d: -f3)"
  entry="$(getent group "${FTP_WEB_USER}")" || fail "the web user's group ${FTP_WEB_USER} does not exist"
  WEB_GID="$(printf '%s' "${entry}" | cut -d: -f3)"
}

# vsftpd, and the NFS client or efs-utils (the efs mount helper and its TLS tunnel).
install_packages() {
  local package missing=()
  local packages=(vsftpd nfs-utils)
  [[ ${FTP_FILE_SYSTEM} == efs ]] && packages=(vsftpd amazon-efs-utils)
  for package in "${packages[@]}"; do
    rpm -q --quiet "${package}" || missing+=("${package}")
  done
  ((${#missing[@]} > 0)) || return 0
  log "installing ${missing[*]}"
  dnf install -y -q "${missing[@]}" || fail "cannot install ${missing[*]} (dnf's error is above)"
}

MOUNT_ARGS=()
FSTAB_ENTRY=''
mount_spec() {
  local source="$1" mount_point="$2"
  if [[ ${FTP_FILE_SYSTEM} == efs ]]; then
    # efs-utils mounts the file system's root; the access point chooses the share's directory
    # and the user its files belong to. tls: the file system refuses clients without it. iam: the
    # client signs in with the instance role.
    local file_system="${source%%:*}" access_point="${source#*:}"
    MOUNT_ARGS=(-t efs -o "tls,iam,accesspoint=${access_point}" "${file_system}:/" "${mount_point}")
    FSTAB_ENTRY="${file_system}:/ ${mount_point} efs tls,iam,accesspoint=${access_point},${FSTAB_EXTRA_OPTIONS} 0 0"
  else
    MOUNT_ARGS=(-t nfs4 -o "${NFS_OPTIONS}" "${source}" "${mount_point}")
    FSTAB_ENTRY="${source} ${mount_point} nfs4 ${NFS_OPTIONS},${FSTAB_EXTRA_OPTIONS} 0 0"
  fi
}

# Writes `content` to `file` through a temporary file renamed over it, unless the file holds it
# already with that mode. Sets FILE_CHANGED.
FILE_CHANGED=false
install_file() {
  local file="$1" content="$2" mode="$3" current=''
  FILE_CHANGED=false
  if [[ -f ${file} && ! -L ${file} ]]; then
    current="$(<"${file}")"
    if [[ ${current} == "${content}" && "$(stat -c '%a' "${file}")" == "${mode}" ]]; then return 0; fi
  fi
  mkdir -p "${file%/*}"
  TEMPORARY="$(mktemp "${file%/*}/.${file##*/}.storestack.XXXXXX")"
  printf '%s\n' "${content}" >"${TEMPORARY}"
  chmod "${mode}" "${TEMPORARY}"
  mv -f "${TEMPORARY}" "${file}"
  TEMPORARY=''
  FILE_CHANGED=true
  log "${file} updated"
}

# True when something is mounted at the mount point. A mount that does not answer (its server is
# down) fails the hook rather than hold the deploy until Beanstalk's own timeout.
is_mounted() {
  local status=0
  timeout --kill-after=5 "${PROBE_SECONDS}" mountpoint -q "${FTP_MOUNT_POINT}" || status=$?
  case "${status}" in
  0) return 0 ;;
  124 | 137) fail "the connector's share: ${FTP_MOUNT_POINT} is mounted but does not answer within ${PROBE_SECONDS} s; is its file server up?" ;;
  *) return 1 ;;
  esac
}

# True when the share is mounted from its source already. A mount point that holds something
# else fails the hook: switching storage under the FTP server is not done here.
already_mounted() {
  local recorded='' current
  is_mounted || return 1
  if [[ -f ${STATE_DIR}/mount-source ]]; then recorded="$(<"${STATE_DIR}/mount-source")"; fi
  [[ ${recorded} != "${SHARE_SOURCE}" ]] || return 0
  current="$(findmnt --noheadings --output SOURCE --mountpoint "${FTP_MOUNT_POINT}" || true)"
  if [[ ${FTP_FILE_SYSTEM} == nfs-server && ${current} == "${SHARE_SOURCE}" ]]; then
    install_file "${STATE_DIR}/mount-source" "${SHARE_SOURCE}" 644
    return 0
  fi
  fail "the connector's share: ${FTP_MOUNT_POINT} is already mounted from ${current:-an unknown source}" \
    "${recorded:+(recorded as ${recorded})}, not from ${SHARE_SOURCE} (${FTP_SHARE_PARAMETER});" \
    "unmount it (umount ${FTP_MOUNT_POINT}) and deploy again"
}

# Mounts the share, retrying until the timeout: the file server may still be starting (a new
# environment), or its DNS name not yet resolvable.
mount_share() {
  local deadline now remaining_ms limit attempt=0 output status
  mkdir -p "${FTP_MOUNT_POINT}"
  if already_mounted; then
    log "the connector's share is already mounted from ${SHARE_SOURCE} at ${FTP_MOUNT_POINT}"
    return 0
  fi
  # The empty mount point is made immutable: if the share is ever missing, uploads fail there
  # instead of landing on this instance's disk, unseen by the web application's other instances.
  if ! chattr +i "${FTP_MOUNT_POINT}"; then
    log "WARNING: cannot make the empty ${FTP_MOUNT_POINT} immutable (chattr +i)"
  fi
  mount_spec "${SHARE_SOURCE}" "${FTP_MOUNT_POINT}"
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
      fail "the connector's share: cannot mount ${SHARE_SOURCE} (${FTP_SHARE_PARAMETER}) at ${FTP_MOUNT_POINT}" \
        "within ${TIMEOUT_SECONDS} s (${attempt} attempts); last error: ${output:-mount exited with status ${status}}"
    fi
    log "the connector's share: mounting ${SHARE_SOURCE} failed (attempt ${attempt}: ${output:-status ${status}}), retrying"
    sleep "${POLL_SECONDS}"
  done
  is_mounted || fail "the connector's share: mount reported success, but ${FTP_MOUNT_POINT} is not a mount point"
  install_file "${STATE_DIR}/mount-source" "${SHARE_SOURCE}" 644
  log "the connector's share: mounted ${SHARE_SOURCE} at ${FTP_MOUNT_POINT}"
}

# The share's entry in fstab: an entry already there for the mount point is replaced in place, a
# duplicate dropped, every other line kept. The file is written only when it changes.
update_fstab() {
  local current='' content
  mount_spec "${SHARE_SOURCE}" "${FTP_MOUNT_POINT}"
  if [[ -f ${FSTAB} ]]; then current="$(<"${FSTAB}")"; fi
  content="$(
    printf '%s' "${current}" | MOUNT_POINT="${FTP_MOUNT_POINT}" ENTRY="${FSTAB_ENTRY}" awk '
      $1 !~ /^#/ && $2 == ENVIRON["MOUNT_POINT"] { if (!done) print ENVIRON["ENTRY"]; done = 1; next }
      { print }
      END { if (!done) print ENVIRON["ENTRY"] }
    '
  )"
  [[ ${current} != "${content}" ]] || return 0
  install_file "${FSTAB}" "${content}" 644
  # systemd generates mount units from fstab, and warns while they are out of date.
  systemctl daemon-reload
}

# The FTP root belongs to the web user, group-writable and setgid, and so does every directory of
# the web user inside it. The client's root may be squashed on the share (NFS root_squash, an EFS
# access point's user): modes are changed as the web user, who owns them; the owner is changed
# only when it is not the web user already.
prepare_root() {
  local status uid gid mode changed
  status="$(stat -c '%u %g %a' "${FTP_MOUNT_POINT}")" || fail "cannot read the owner and mode of ${FTP_MOUNT_POINT}"
  read -r uid gid mode <<<"${status}"
  if [[ ${uid} != "${WEB_UID}" || ${gid} != "${WEB_GID}" ]]; then
    log "giving ${FTP_MOUNT_POINT} to ${FTP_WEB_USER} (it belongs to ${uid}:${gid})"
    chown "${FTP_WEB_USER}:${FTP_WEB_USER}" "${FTP_MOUNT_POINT}" ||
      fail "the connector's share: ${FTP_MOUNT_POINT} belongs to ${uid}:${gid} and root cannot give it to" \
        "${FTP_WEB_USER} from here (root_squash); give it to ${WEB_UID}:${WEB_GID} on the file server"
  fi
  if [[ ${mode} != "${ROOT_MODE}" ]]; then
    log "setting ${FTP_MOUNT_POINT} to mode ${ROOT_MODE} (it was ${mode})"
    runuser -u "${FTP_WEB_USER}" -- chmod "${ROOT_MODE}" "${FTP_MOUNT_POINT}" ||
      fail "cannot set ${FTP_MOUNT_POINT} to mode ${ROOT_MODE} as ${FTP_WEB_USER}"
  fi
  # -xdev keeps find on the share; only directories of the web user, in its group, can be fixed
  # by it (the FTP user's own are 2775 already: umask 002, setgid inherited, SITE CHMOD refused).
  changed="$(runuser -u "${FTP_WEB_USER}" -- find "${FTP_MOUNT_POINT}" -mindepth 1 -xdev -type d \
    -uid "${WEB_UID}" -gid "${WEB_GID}" ! -perm "${ROOT_MODE}" -print -exec chmod "${ROOT_MODE}" {} +)" ||
    fail "cannot set the web user's directories in ${FTP_MOUNT_POINT} to mode ${ROOT_MODE}"
  if [[ -n ${changed} ]]; then
    log "set $(printf '%s\n' "${changed}" | wc -l) director(y/ies) in ${FTP_MOUNT_POINT} to mode ${ROOT_MODE}"
  fi
}

# The FTP user: no shell, home in the FTP root, primary group the web user's, so that both write
# there. An existing account is brought back to that; root is refused.
ensure_user() {
  local entry uid gid home shell
  if ! entry="$(getent passwd "${FTP_USER}")"; then
    log "creating the FTP user ${FTP_USER} (group ${FTP_WEB_USER}, home ${FTP_MOUNT_POINT})"
    useradd --gid "${FTP_WEB_USER}" --home-dir "${FTP_MOUNT_POINT}" --no-create-home --shell "${FTP_SHELL}" \
      --comment 'storestack connector FTP' "${FTP_USER}" || fail "cannot create the FTP user ${FTP_USER}"
    USER_CREATED=true
    return 0
  fi
  IFS=: read -r _ _ uid gid _ home shell <<<"${entry}"
  ((uid != 0)) || fail "the FTP user ${FTP_USER} is root (uid 0): choose another FTP user"
  [[ ${uid} != "${WEB_UID}" ]] || fail "the FTP user ${FTP_USER} has the web user's uid ${WEB_UID}"
  if [[ ${gid} != "${WEB_GID}" || ${home} != "${FTP_MOUNT_POINT}" || ${shell} != "${FTP_SHELL}" ]]; then
    log "updating the FTP user ${FTP_USER} (group ${FTP_WEB_USER}, home ${FTP_MOUNT_POINT}, shell ${FTP_SHELL})"
    usermod --gid "${FTP_WEB_USER}" --home "${FTP_MOUNT_POINT}" --shell "${FTP_SHELL}" "${FTP_USER}" ||
      fail "cannot update the FTP user ${FTP_USER}"
  fi
}

# The password is set when the user is new or the secret has a new version (rotated): setting it
# again on every deploy would change /etc/shadow each time.
set_password() {
  local recorded=''
  if [[ -f ${STATE_DIR}/password-version ]]; then recorded="$(<"${STATE_DIR}/password-version")"; fi
  if [[ ${USER_CREATED} == false && ${recorded} == "${SECRET_VERSION}" ]]; then
    log "the FTP user's password is already from version ${SECRET_VERSION} of ${SECRET_ARN}"
    return 0
  fi
  printf '%s:%s\n' "${FTP_USER}" "${FTP_PASSWORD}" | chpasswd ||
    fail "cannot set the FTP user ${FTP_USER}'s password (chpasswd's error is above)"
  install_file "${STATE_DIR}/password-version" "${SECRET_VERSION}" 600
  log "set the FTP user's password from version ${SECRET_VERSION} of ${SECRET_ARN}"
}

# Replaces what the bundle ships at the upload directory by a link to the FTP root. Directories
# made on the way belong to the web user, like the rest of the release.
link_upload_directory() {
  local link="${RELEASE_DIR}/${FTP_UPLOAD_DIRECTORY}" dir="${RELEASE_DIR}" part parent
  local -a parts=()
  if [[ -L ${link} && "$(readlink "${link}")" == "${FTP_MOUNT_POINT}" ]]; then
    log "${FTP_UPLOAD_DIRECTORY}: already linked to ${FTP_MOUNT_POINT}"
    return 0
  fi
  if [[ ! -L ${link} && -d ${link} ]] && mountpoint -q "${link}"; then
    fail "${FTP_UPLOAD_DIRECTORY}: ${link} is a mount point; unmount it (umount ${link}) and deploy again"
  fi
  if [[ -e ${link} || -L ${link} ]]; then
    log "${FTP_UPLOAD_DIRECTORY}: removing what the bundle ships there"
    rm -rf -- "${link}"
  fi
  parent="${FTP_UPLOAD_DIRECTORY%/*}"
  if [[ ${parent} != "${FTP_UPLOAD_DIRECTORY}" ]]; then
    IFS=/ read -r -a parts <<<"${parent}"
    for part in "${parts[@]}"; do
      dir="${dir}/${part}"
      [[ ! -d ${dir} ]] || continue
      mkdir "${dir}"
      chown "${FTP_WEB_USER}:${FTP_WEB_USER}" "${dir}"
    done
  fi
  ln -s "${FTP_MOUNT_POINT}" "${link}"
  chown -h "${FTP_WEB_USER}:${FTP_WEB_USER}" "${link}"
  log "${FTP_UPLOAD_DIRECTORY}: linked to ${FTP_MOUNT_POINT}"
}

# vsftpd's files; sets CONFIG_CHANGED (vsftpd must restart) and DROP_IN_CHANGED (systemd must reload).
CONFIG_CHANGED=false
DROP_IN_CHANGED=false
install_vsftpd_files() {
  local template config
  template="$(<"${BUNDLE_FILES}/vsftpd.conf")"
  [[ ${template} == *"${FTP_PASV_ADDRESS_PLACEHOLDER}"* ]] ||
    fail "${BUNDLE_FILES}/vsftpd.conf has no ${FTP_PASV_ADDRESS_PLACEHOLDER} for the gateway's IP"
  config="${template//"${FTP_PASV_ADDRESS_PLACEHOLDER}"/${GATEWAY_IP}}"
  install_file "${USERLIST_FILE}" "${FTP_USER}" 644
  [[ ${FILE_CHANGED} == false ]] || CONFIG_CHANGED=true
  install_file "${PAM_FILE}" "$(<"${BUNDLE_FILES}/vsftpd.pam")" 644
  install_file "${VSFTPD_CONFIG}" "${config}" 644
  [[ ${FILE_CHANGED} == false ]] || CONFIG_CHANGED=true
  install_file "${DROP_IN}" "$(<"${BUNDLE_FILES}/vsftpd.service.conf")" 644
  [[ ${FILE_CHANGED} == false ]] || DROP_IN_CHANGED=true
}

start_vsftpd() {
  if [[ ${DROP_IN_CHANGED} == true ]]; then systemctl daemon-reload; fi
  if ! systemctl is-enabled --quiet "${SERVICE}"; then
    log "enabling ${SERVICE}"
    systemctl enable "${SERVICE}"
  fi
  if [[ ${CONFIG_CHANGED} == true || ${DROP_IN_CHANGED} == true ]] || ! systemctl is-active --quiet "${SERVICE}"; then
    log "restarting ${SERVICE}"
    systemctl restart "${SERVICE}" || fail "${SERVICE} did not start; see journalctl -u ${SERVICE}"
    sleep "${SETTLE_SECONDS}"
  fi
  systemctl is-active --quiet "${SERVICE}" ||
    fail "${SERVICE} is not running; see journalctl -u ${SERVICE} (a '500 OOPS' line names the problem)"
}

main() {
  read_config
  read_inputs
  install_packages
  mount_share
  update_fstab
  prepare_root
  ensure_user
  set_password
  link_upload_directory
  install_vsftpd_files
  start_vsftpd
  log "FTP user ${FTP_USER} uploads to ${FTP_MOUNT_POINT} (${RELEASE_DIR}/${FTP_UPLOAD_DIRECTORY});" \
    "passive mode through the gateway ${FTP_GATEWAY_NAME} (${GATEWAY_IP})"
}

main "$@"
