#!/bin/bash
# shellcheck disable=SC2154 # the APP_* settings come from the header render.ts writes.
#
# Beanstalk prebuild hook 20 of the Mirakl-HiPay connector (document 4: "The configuration file
# must be added"): appends the connector's settings to the .env.local that 10-credentials.sh
# wrote, one KEY='value' line per key of a JSON object kept in Secrets Manager. render.ts writes a
# header:
#   APP_REGION                 the region of the parameter and the secret
#   APP_CONFIG_ARN_PARAMETER   SSM parameter holding the secret's ARN
#   APP_RESERVED_KEYS          the keys 10-credentials.sh writes, which the secret may not hold
#   APP_REQUIRED_KEYS          the keys the secret must hold, comma-separated (config apps.mirakl.configKeys)
#   APP_PLACEHOLDER            a value operators must replace (CHANGE_ME)
#   APP_WEB_USER               the user PHP runs as (webapp), whose group may read the file
# Each key must be an environment variable name in capitals; each value a string or a number on
# one line, neither empty nor holding the placeholder (a secret nobody filled in fails the
# deploy, naming the key, never the value). Values are single-quoted: literal for Symfony's
# Dotenv and for bash alike, a quote written '\''. The file is rewritten whole through a
# temporary file renamed over it, root:webapp 0640; running again replaces the settings.
#
# Secrets never reach a command line (where ps shows them) nor the output: they travel in shell
# variables and through pipes. Nothing here turns on xtrace.
#
# The tests override every system location from the environment. The system commands are
# called by name, so the tests can stub them on PATH.
set -euo pipefail

readonly RELEASE_DIR="${STORESTACK_RELEASE_DIR:-/var/app/staging}"
readonly ENV_FILE="${RELEASE_DIR}/.env.local"
readonly MARKER='# storestack: the Mirakl-HiPay connector configuration, from Secrets Manager (prebuild hook 20-mirakl-config.sh)'

log() {
  printf 'storestack-mirakl-config: %s\n' "$*"
}

fail() {
  printf 'storestack-mirakl-config: ERROR: %s\n' "$*" >&2
  exit 1
}

TEMPORARY=''
cleanup() {
  if [[ -n ${TEMPORARY} ]]; then rm -f "${TEMPORARY}"; fi
}
trap cleanup EXIT

# The settings' lines, from the secret's JSON on standard input. PHP names each refused key
# (never its value) and exits 3.
LINES=''
settings_lines() {
  local secret="$1" what="$2"
  # shellcheck disable=SC2016 # PHP code, not shell expansions.
  LINES="$(printf '%s' "${secret}" | php -d display_errors=stderr -r '
    $placeholder = $argv[1];
    $required = $argv[2] === "" ? [] : explode(",", $argv[2]);
    $reserved = array_slice($argv, 3);
    $settings = json_decode(stream_get_contents(STDIN), true);
    if (!is_array($settings) || $settings === [] || array_is_list($settings)) {
      fwrite(STDERR, "the secret is not a JSON object of settings, such as {\"MIRAKL_API_KEY\": \"...\"}\n");
      exit(3);
    }
    $errors = [];
    $lines = [];
    foreach ($settings as $key => $value) {
      $key = (string) $key;
      $name = json_encode($key, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
      if (!preg_match("/^[A-Z][A-Z0-9_]*\$/D", $key)) {
        $errors[] = "$name is not an environment variable name (capitals, digits and _, starting with a capital)";
        continue;
      }
      if (in_array($key, $reserved, true)) {
        $errors[] = "$key is written by the prebuild hook 10-credentials.sh; remove it from the secret";
        continue;
      }
      if (is_int($value) || is_float($value)) $value = json_encode($value);
      if (!is_string($value)) {
        $errors[] = "$key is not a string or a number";
      } elseif (trim($value) === "") {
        $errors[] = "$key is empty";
      } elseif (str_contains($value, $placeholder)) {
        $errors[] = "$key is still the placeholder $placeholder: set its value in the secret";
      } elseif (preg_match("/[\\x00-\\x1f\\x7f]/", $value)) {
        $errors[] = "$key holds a line break or another control character";
      } else {
        $lines[] = $key . "=\x27" . str_replace("\x27", "\x27\\\x27\x27", $value) . "\x27";
      }
    }
    foreach ($required as $key) {
      if (!array_key_exists($key, $settings)) $errors[] = "$key is missing: add it to the secret";
    }
    if ($errors !== []) {
      fwrite(STDERR, implode("\n", $errors) . "\n");
      exit(3);
    }
    echo implode("\n", $lines);' "${APP_PLACEHOLDER}" "${APP_REQUIRED_KEYS}" "${APP_RESERVED_KEYS[@]}")" ||
    fail "${what}: the connector's settings are refused (the reasons are above)"
}

main() {
  local arn secret current

  command -v php >/dev/null || fail 'php is not installed: the PHP platform provides it'
  [[ -f ${ENV_FILE} ]] || fail "${ENV_FILE} is missing: the prebuild hook 10-credentials.sh did not run"

  arn="$(aws ssm get-parameter --region "${APP_REGION}" --name "${APP_CONFIG_ARN_PARAMETER}" \
    --query Parameter.Value --output text)" ||
    fail "cannot read the SSM parameter ${APP_CONFIG_ARN_PARAMETER} (the aws error is above)"
  [[ -n ${arn} && ${arn} != None ]] || fail "the SSM parameter ${APP_CONFIG_ARN_PARAMETER} is empty"
  secret="$(aws secretsmanager get-secret-value --region "${APP_REGION}" --secret-id "${arn}" \
    --query SecretString --output text)" ||
    fail "cannot read the secret ${arn} (named by ${APP_CONFIG_ARN_PARAMETER}; the aws error is above)"
  settings_lines "${secret}" "the secret ${arn} (named by ${APP_CONFIG_ARN_PARAMETER})"

  # What 10-credentials.sh wrote, without the settings a previous run of this hook appended.
  current="$(<"${ENV_FILE}")"
  current="${current%%"${MARKER}"*}"
  current="${current%$'\n'}"

  TEMPORARY="$(mktemp "${ENV_FILE}.XXXXXX")"
  printf '%s\n' "${current}" "${MARKER}" "${LINES}" >"${TEMPORARY}"
  chown "root:${APP_WEB_USER}" "${TEMPORARY}"
  chmod 0640 "${TEMPORARY}"
  mv -f "${TEMPORARY}" "${ENV_FILE}"
  TEMPORARY=''
  log "added the connector's settings to ${ENV_FILE}"
}

main "$@"
