// HTTP digest for SIP (RFC 3261 22, RFC 2617 qop=auth, RFC 8760 SHA-256): challenges and credentials as
// header values, and the response computation, for both sides (the registrar challenging devices, the
// platform answering carriers' and providers' 401/407).
import { createHash, timingSafeEqual } from 'node:crypto';
import { endOfQuoted, isTokenChar, quote, skipWhite, unquote } from './basic-rules.js';

export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** A WWW-Authenticate / Proxy-Authenticate value. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** Offered qop values (`auth`); empty: RFC 2069 style (no nc/cnonce). */
  qop: string[];
  opaque?: string;
  stale?: boolean;
}

/** An Authorization / Proxy-Authorization value. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: 'auth';
  /** 8 hex digits, as sent. */
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** Why an Authorization value was refused, in words a 400/401 Reason can carry. */
export type DigestParseResult = { credentials: DigestCredentials } | { reason: string };

/** Parses `Digest realm="..", nonce="..", ...`; undefined when not Digest or an algorithm we do not speak. */
export function parseChallenge(value: string): DigestChallenge | undefined {
  const params = parseDigestParams(value);
  if (params === undefined) return undefined;
  const algorithm = algorithmOf(params.get('algorithm'));
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (algorithm === undefined || realm === undefined || nonce === undefined) return undefined;
  const qopText = params.get('qop');
  const challenge: DigestChallenge = {
    realm,
    nonce,
    algorithm,
    qop:
      qopText === undefined
        ? []
        : qopText
            .split(',')
            .map((q) => q.trim().toLowerCase())
            .filter(Boolean),
  };
  const opaque = params.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  if (params.get('stale')?.toLowerCase() === 'true') challenge.stale = true;
  return challenge;
}

export function formatChallenge(challenge: DigestChallenge): string {
  const parts = [
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (challenge.qop.length > 0) parts.push(`qop=${quote(challenge.qop.join(','))}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.stale === true) parts.push('stale=true');
  return `Digest ${parts.join(', ')}`;
}

/** Parses an Authorization value; undefined when not Digest or malformed (missing username/realm/nonce/uri/response). */
export function parseCredentials(value: string): DigestCredentials | undefined {
  const result = parseCredentialsWithReason(value);
  return 'credentials' in result ? result.credentials : undefined;
}

/** parseCredentials, saying what is wrong when the value is refused (for the 400/401's Reason). */
export function parseCredentialsWithReason(value: string): DigestParseResult {
  const params = parseDigestParams(value);
  if (params === undefined) return { reason: 'not a Digest authorization' };
  for (const name of ['username', 'realm', 'nonce', 'uri', 'response'] as const) {
    if (params.get(name) === undefined) return { reason: `digest ${name} missing` };
  }
  const algorithmText = params.get('algorithm');
  const algorithm = algorithmOf(algorithmText);
  if (algorithm === undefined) return { reason: `digest algorithm ${algorithmText ?? ''} not supported` };
  const response = params.get('response')!;
  if (!new RegExp(`^[0-9a-fA-F]{${hexLength[algorithm]}}$`).test(response)) {
    return { reason: `digest response is not ${hexLength[algorithm]} hex digits` };
  }
  const credentials: DigestCredentials = {
    username: params.get('username')!,
    realm: params.get('realm')!,
    nonce: params.get('nonce')!,
    uri: params.get('uri')!,
    response: response.toLowerCase(),
    algorithm,
  };
  const qop = params.get('qop');
  if (qop !== undefined) {
    if (qop.toLowerCase() !== 'auth') return { reason: `digest qop ${qop} not supported` };
    const nc = params.get('nc');
    const cnonce = params.get('cnonce');
    // RFC 2617 3.2.2: with qop, nc and cnonce MUST be present.
    if (nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc)) return { reason: 'digest nc is not 8 hex digits' };
    if (cnonce === undefined || cnonce === '') return { reason: 'digest cnonce missing' };
    credentials.qop = 'auth';
    credentials.nc = nc;
    credentials.cnonce = cnonce;
  }
  const opaque = params.get('opaque');
  if (opaque !== undefined) credentials.opaque = opaque;
  return { credentials };
}

export function formatCredentials(credentials: DigestCredentials): string {
  const parts = [
    `username=${quote(credentials.username)}`,
    `realm=${quote(credentials.realm)}`,
    `nonce=${quote(credentials.nonce)}`,
    `uri=${quote(credentials.uri)}`,
    `response=${quote(credentials.response)}`,
    `algorithm=${credentials.algorithm}`,
  ];
  // RFC 2617 3.2.2: qop and nc are tokens (unquoted), cnonce and opaque quoted strings.
  if (credentials.qop !== undefined) {
    parts.push(`qop=${credentials.qop}`, `nc=${credentials.nc ?? '00000001'}`);
    parts.push(`cnonce=${quote(credentials.cnonce ?? '')}`);
  }
  if (credentials.opaque !== undefined) parts.push(`opaque=${quote(credentials.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/** HA1 = H(username:realm:password), lower-case hex. */
export function ha1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hash(algorithm, `${username}:${realm}:${password}`);
}

/** The expected `response` for credentials, from the stored HA1 of their algorithm. */
export function expectedResponse(credentials: DigestCredentials, method: string, ha1Hex: string): string {
  const { algorithm } = credentials;
  const ha2 = hash(algorithm, `${method}:${credentials.uri}`);
  const ha1Lower = ha1Hex.toLowerCase();
  if (credentials.qop === 'auth') {
    return hash(
      algorithm,
      `${ha1Lower}:${credentials.nonce}:${credentials.nc ?? ''}:${credentials.cnonce ?? ''}:auth:${ha2}`,
    );
  }
  return hash(algorithm, `${ha1Lower}:${credentials.nonce}:${ha2}`);
}

/** Constant-time check of credentials against a stored HA1. */
export function verifyResponse(credentials: DigestCredentials, method: string, ha1Hex: string): boolean {
  const expected = Buffer.from(expectedResponse(credentials, method, ha1Hex), 'latin1');
  const given = Buffer.from(credentials.response.toLowerCase(), 'latin1');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * The first challenge among several (WWW-Authenticate values, in the order received: RFC 8760 says the
 * server lists its preference first) whose algorithm we speak.
 */
export function pickChallenge(values: readonly string[]): DigestChallenge | undefined {
  for (const value of values) {
    const challenge = parseChallenge(value);
    if (challenge !== undefined) return challenge;
  }
  return undefined;
}

/** Credentials answering a challenge (qop=auth when offered, with nc and a fresh cnonce). */
export function answerChallenge(o: {
  challenge: DigestChallenge;
  username: string;
  password: string;
  method: string;
  uri: string;
  /** 1 for the first use of this nonce. */
  nonceCount: number;
  cnonce: string;
}): DigestCredentials {
  const { challenge } = o;
  const credentials: DigestCredentials = {
    username: o.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: o.uri,
    response: '',
    algorithm: challenge.algorithm,
  };
  if (challenge.qop.includes('auth')) {
    credentials.qop = 'auth';
    credentials.nc = o.nonceCount.toString(16).padStart(8, '0');
    credentials.cnonce = o.cnonce;
  }
  if (challenge.opaque !== undefined) credentials.opaque = challenge.opaque;
  credentials.response = expectedResponse(
    credentials,
    o.method,
    ha1(challenge.algorithm, o.username, challenge.realm, o.password),
  );
  return credentials;
}

const hexLength: Record<DigestAlgorithm, number> = { MD5: 32, 'SHA-256': 64 };

function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text, 'utf8')
    .digest('hex');
}

/** RFC 2617 3.2.1: no algorithm means MD5. The -sess variants and SHA-512-256 we do not speak. */
function algorithmOf(text: string | undefined): DigestAlgorithm | undefined {
  if (text === undefined) return 'MD5';
  const upper = text.toUpperCase();
  return upper === 'MD5' || upper === 'SHA-256' ? upper : undefined;
}

/**
 * The auth-params of a `Digest` value (RFC 2617 1.2: `name=token` or `name="quoted"`, comma separated),
 * names lower-cased, quoted values unescaped; undefined when the scheme is not Digest, the syntax is
 * broken, or a parameter repeats (RFC 7616 3.4: each at most once).
 */
function parseDigestParams(value: string): Map<string, string> | undefined {
  const text = value.trim();
  if (!/^digest(\s|$)/i.test(text)) return undefined;
  const params = new Map<string, string>();
  let i = skipWhite(text, 6);
  while (i < text.length) {
    const nameStart = i;
    while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
    if (i === nameStart) return undefined;
    const name = text.slice(nameStart, i).toLowerCase();
    i = skipWhite(text, i);
    if (text.charCodeAt(i) !== 61 /* = */) return undefined;
    i = skipWhite(text, i + 1);
    let paramValue: string;
    if (text.charCodeAt(i) === 34 /* " */) {
      const end = endOfQuotedOrUndefined(text, i);
      if (end === undefined) return undefined;
      paramValue = unquote(text.slice(i, end));
      i = end;
    } else {
      const valueStart = i;
      while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
      if (i === valueStart) return undefined;
      paramValue = text.slice(valueStart, i);
    }
    if (params.has(name)) return undefined;
    params.set(name, paramValue);
    i = skipWhite(text, i);
    if (i < text.length) {
      if (text.charCodeAt(i) !== 44 /* , */) return undefined;
      i = skipWhite(text, i + 1);
    }
  }
  return params;
}

/** endOfQuoted, undefined for an unterminated quote (a malformed header is refused, not thrown about). */
function endOfQuotedOrUndefined(text: string, start: number): number | undefined {
  try {
    return endOfQuoted(text, start);
  } catch {
    return undefined;
  }
}
