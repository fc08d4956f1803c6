// HTTP digest for SIP (RFC 3261 22, RFC 2617 qop=auth, RFC 8760 SHA-256): challenges and credentials as
// header values, and the response computation, for both sides (the registrar challenging devices, the
// platform answering carriers' and providers' 401/407).
// CONTRACT: signatures fixed; implementation by the libs helper.

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

/** Parses `Digest realm="..", nonce="..", ...`; undefined when not Digest or an algorithm we do not speak. */
export function parseChallenge(value: string): DigestChallenge | undefined {
  throw new Error(`not implemented: parseChallenge(${value})`);
}

export function formatChallenge(challenge: DigestChallenge): string {
  throw new Error(`not implemented: formatChallenge(${challenge.realm})`);
}

/** Parses an Authorization value; undefined when not Digest or malformed (missing username/realm/nonce/uri/response). */
export function parseCredentials(value: string): DigestCredentials | undefined {
  throw new Error(`not implemented: parseCredentials(${value})`);
}

export function formatCredentials(credentials: DigestCredentials): string {
  throw new Error(`not implemented: formatCredentials(${credentials.username})`);
}

/** HA1 = H(username:realm:password), lower-case hex. */
export function ha1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  throw new Error(`not implemented: ha1(${algorithm}, ${username}, ${realm}, ${password.length})`);
}

/** The expected `response` for credentials, from the stored HA1 of their algorithm. */
export function expectedResponse(credentials: DigestCredentials, method: string, ha1Hex: string): string {
  throw new Error(`not implemented: expectedResponse(${credentials.username}, ${method}, ${ha1Hex.length})`);
}

/** Constant-time check of credentials against a stored HA1. */
export function verifyResponse(credentials: DigestCredentials, method: string, ha1Hex: string): boolean {
  throw new Error(`not implemented: verifyResponse(${credentials.username}, ${method}, ${ha1Hex.length})`);
}

/**
 * The first challenge among several (WWW-Authenticate values, in the order received: RFC 8760 says the
 * server lists its preference first) whose algorithm we speak.
 */
export function pickChallenge(values: readonly string[]): DigestChallenge | undefined {
  throw new Error(`not implemented: pickChallenge(${values.length})`);
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
  throw new Error(`not implemented: answerChallenge(${o.username})`);
}
