#!/bin/bash
# shellcheck disable=SC2154 # the APP_* settings come from the header render.ts writes.
#
# Beanstalk prebuild hook 05 of the custom connection application: points its internal name
# (connector.<internal domain>) at this instance's private address, so that the HAProxy gateway
# in front of its FTP server (document 6.D) reaches the current instance, a replaced one
# included. An UPSERT of the A record in the private hosted zone: running it again changes
# nothing. render.ts writes a header:
#   APP_REGION               the region of the SSM parameter
#   APP_INTERNAL_NAME        the record's name, e.g. connector.internal-client.url
#   APP_ZONE_ID_PARAMETER    SSM parameter holding the private hosted zone's id
#   APP_RECORD_TTL_SECONDS   the record's TTL
# The address comes from the instance metadata service, version 2 (a session token first; the
# token travels to curl on its standard input, not on its command line).
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly IMDS_URL="${STORESTACK_IMDS_URL:-http://169.254.169.254}"

log() {
  printf 'storestack-internal-name: %s\n' "$*"
}

fail() {
  printf 'storestack-internal-name: ERROR: %s\n' "$*" >&2
  exit 1
}

TOKEN=''
imds_token() {
  TOKEN="$(curl --fail --silent --show-error --max-time 5 --retry 3 --request PUT \
    --header 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS_URL}/latest/api/token")" ||
    fail "cannot get a session token from the instance metadata service (${IMDS_URL})"
}

# One metadata value, e.g. local-ipv4.
METADATA=''
imds_get() {
  METADATA="$(printf 'X-aws-ec2-metadata-token: %s\n' "${TOKEN}" |
    curl --fail --silent --show-error --max-time 5 --retry 3 --header @- "${IMDS_URL}/latest/meta-data/$1")" ||
    fail "cannot read $1 from the instance metadata service (${IMDS_URL})"
}

main() {
  local address zone_id change change_id
  imds_token
  imds_get local-ipv4
  address="${METADATA}"
  [[ ${address} =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] ||
    fail "the instance metadata service gave '${address}' as local-ipv4, not an IPv4 address"

  zone_id="$(aws ssm get-parameter --region "${APP_REGION}" --name "${APP_ZONE_ID_PARAMETER}" \
    --query Parameter.Value --output text)" ||
    fail "cannot read the SSM parameter ${APP_ZONE_ID_PARAMETER} (the aws error is above)"
  zone_id="${zone_id#/hostedzone/}"
  [[ ${zone_id} =~ ^[A-Z0-9]+$ ]] ||
    fail "the SSM parameter ${APP_ZONE_ID_PARAMETER} holds '${zone_id}', not a hosted zone id"

  printf -v change '{"Comment":"%s","Changes":[{"Action":"UPSERT","ResourceRecordSet":{"Name":"%s","Type":"A","TTL":%s,"ResourceRecords":[{"Value":"%s"}]}}]}' \
    'storestack: the instance serving this name (prebuild hook 05-register-internal-name.sh)' \
    "${APP_INTERNAL_NAME}" "${APP_RECORD_TTL_SECONDS}" "${address}"
  # Route 53 is global: the region only picks the partition's endpoint.
  change_id="$(aws route53 change-resource-record-sets --region "${APP_REGION}" --hosted-zone-id "${zone_id}" \
    --change-batch "${change}" --query ChangeInfo.Id --output text)" ||
    fail "cannot point ${APP_INTERNAL_NAME} at ${address} in the hosted zone ${zone_id} (the aws error is above)"
  # The gateway may resolve the name as soon as the instance serves: wait for the change to apply.
  aws route53 wait resource-record-sets-changed --region "${APP_REGION}" --id "${change_id}" ||
    fail "the change ${change_id} pointing ${APP_INTERNAL_NAME} at ${address} did not apply (the aws error is above)"
  log "${APP_INTERNAL_NAME} -> ${address} (hosted zone ${zone_id}, TTL ${APP_RECORD_TTL_SECONDS} s)"
}

main "$@"
