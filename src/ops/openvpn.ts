// The OpenVPN server's side of `storestack vpn`, as src/assets/openvpn installs it: where the
// client scripts, the profiles and easy-rsa's index are, which user names make_config.sh accepts,
// and how to read the index (one line per certificate ever issued).

/** The client scripts' directory (hosting document 6.A: "/root/client-configs/"). */
export const CLIENT_CONFIGS_DIR = '/root/client-configs';
/** `make_config.sh <username>`: issues a certificate and writes the profile. */
export const MAKE_CONFIG = `${CLIENT_CONFIGS_DIR}/make_config.sh`;
/** Where make_config.sh writes `<username>.ovpn` (its PROFILE_DIR). */
export const PROFILE_DIR = `${CLIENT_CONFIGS_DIR}/files`;
/** easy-rsa's index of the PKI openvpn-common.sh keeps in /etc/openvpn/easy-rsa. */
export const EASYRSA_INDEX = '/etc/openvpn/easy-rsa/pki/index.txt';
/** The server's own certificate, in the same index; not a client. */
export const SERVER_CERTIFICATE = 'server';
/** The last line of a whole profile: make_config.sh ends it with the tls-crypt key. */
export const PROFILE_END = '</tls-crypt>';

/** make_config.sh's check_username, the same pattern. */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const RESERVED = new Set([SERVER_CERTIFICATE, 'ca']);

/** Why make_config.sh would refuse `name`, in its words; undefined when it accepts it. */
export function usernameProblem(name: string): string | undefined {
  if (!USERNAME.test(name)) {
    return `username '${name}' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`;
  }
  if (RESERVED.has(name)) return `username '${name}' is reserved`;
  return undefined;
}

export function profilePath(user: string): string {
  return `${PROFILE_DIR}/${user}.ovpn`;
}

/** What is wrong with a profile read back, or undefined when it is whole. */
export function profileProblem(profile: string, user: string): string | undefined {
  if (!profile.startsWith(`# OpenVPN profile of ${user},`))
    return `it is not the profile make_config.sh writes for ${user}`;
  for (const block of ['<ca>', '<cert>', '<key>', '<tls-crypt>']) {
    if (!profile.includes(`\n${block}\n`)) return `it has no ${block} block`;
  }
  const last = profile.trimEnd().split('\n').at(-1);
  if (last !== PROFILE_END) return `it does not end with ${PROFILE_END}: it is truncated`;
  return undefined;
}

export type ClientState = 'valid' | 'revoked' | 'expired';

/** A client certificate of the index. */
export interface IssuedClient {
  readonly user: string;
  readonly state: ClientState;
  /** ISO 8601, UTC. */
  readonly expires: string;
}

/**
 * OpenSSL's index times: UTCTime `YYMMDDHHMMSSZ` (years 1950-2049, RFC 5280) or GeneralizedTime
 * `YYYYMMDDHHMMSSZ`; undefined when neither.
 */
export function indexTime(text: string): Date | undefined {
  const match = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, year = '', month, day, hour, minute, second] = match;
  const fullYear = year.length === 4 ? Number(year) : Number(year) + (Number(year) >= 50 ? 1900 : 2000);
  const date = new Date(
    Date.UTC(fullYear, Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)),
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const STATES: Record<string, ClientState> = { V: 'valid', R: 'revoked', E: 'expired' };

/**
 * The clients of easy-rsa's index.txt, in the order they were issued. A line is
 * `<V|R|E>\t<expiry>\t<revocation>\t<serial>\t<file>\t<subject>`; the subject is `/CN=<name>`.
 * A certificate still marked valid past its expiry is expired (OpenSSL updates the index only
 * when asked to). The server's certificate and lines that do not parse are left out.
 */
export function parseIndex(text: string, now: Date): IssuedClient[] {
  const clients: IssuedClient[] = [];
  for (const line of text.split('\n')) {
    const [status = '', expiry = '', , , , subject = ''] = line.split('\t');
    const user = /(?:^|\/)CN=([^/]+)/.exec(subject)?.[1];
    const expires = indexTime(expiry);
    let state = STATES[status];
    if (!user || !expires || !state || user === SERVER_CERTIFICATE) continue;
    if (state === 'valid' && expires.getTime() <= now.getTime()) state = 'expired';
    clients.push({ user, state, expires: expires.toISOString().replace('.000Z', 'Z') });
  }
  return clients;
}
