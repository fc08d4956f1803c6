// The API credentials file (API_TOKENS_FILE, a mounted Secret): who may call the public API, and with
// which scopes. One entry a line, fields separated by blanks; `#` starts a comment:
//
//   <name> sha256:<hex SHA-256 of the token> <scope>[,<scope>...]
//   <name> cn:<client certificate common name> <scope>[,<scope>...]
//
// Only a token's hash is stored, so the Secret (and a leaked copy of it) does not hold a usable token. `*`
// grants every scope. Names show up in logs, tokens never do.
import { createHash, timingSafeEqual } from 'node:crypto';

export const ALL_SCOPES = '*';

export interface ApiPrincipal {
  name: string;
  scopes: ReadonlySet<string>;
}

export interface ApiCredentials {
  /** The principal whose token this is, or undefined; as slow for a near miss as for a wild guess. */
  byToken(token: string): ApiPrincipal | undefined;
  /** The principal of a verified client certificate's common name, or undefined. */
  byCertificate(commonName: string): ApiPrincipal | undefined;
  /** How many entries of each kind (for the start-up log). */
  readonly size: { tokens: number; certificates: number };
}

export class ApiCredentialsError extends Error {
  override readonly name = 'ApiCredentialsError';
  readonly code = 'API_CREDENTIALS_INVALID';
}

/** The SHA-256 of a token, as the file holds it (`sha256:<this>`). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Reads the file's text; `knownScopes` catches a misspelt scope (which would otherwise deny quietly).
 * Throws ApiCredentialsError naming the source and line of the first mistake.
 */
export function parseApiCredentials(
  text: string,
  source: string,
  knownScopes: ReadonlySet<string>,
): ApiCredentials {
  const tokens: Array<{ hash: Buffer; principal: ApiPrincipal }> = [];
  const certificates = new Map<string, ApiPrincipal>();
  const names = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const fail = (problem: string) => {
      throw new ApiCredentialsError(`${source} line ${index + 1}: ${problem}`);
    };
    const fields = line.split(/\s+/);
    if (fields.length !== 3) fail('expected "<name> sha256:<hex>|cn:<name> <scope>[,<scope>...]"');
    const [name, credential, scopeList] = fields as [string, string, string];
    if (names.has(name)) fail(`"${name}" appears twice`);
    names.add(name);
    const scopes = new Set(scopeList.split(',').filter(Boolean));
    for (const scope of scopes)
      if (scope !== ALL_SCOPES && !knownScopes.has(scope))
        fail(`unknown scope "${scope}" (scopes: ${[...knownScopes].join(', ')}, or ${ALL_SCOPES})`);
    const principal = { name, scopes };
    const hex = /^sha256:([0-9a-f]{64})$/i.exec(credential)?.[1];
    const commonName = /^cn:(.+)$/.exec(credential)?.[1];
    if (hex) {
      const hash = Buffer.from(hex, 'hex');
      if (tokens.some((t) => t.hash.equals(hash))) fail('this token hash appears twice');
      tokens.push({ hash, principal });
    } else if (commonName) {
      if (certificates.has(commonName)) fail(`cn:${commonName} appears twice`);
      certificates.set(commonName, principal);
    } else fail('expected sha256:<64 hex digits> or cn:<common name> as the second field');
  });
  return {
    byToken(token) {
      const hash = createHash('sha256').update(token, 'utf8').digest();
      // Every entry is compared, each in constant time, so the time taken says nothing about the token.
      let found: ApiPrincipal | undefined;
      for (const entry of tokens) if (timingSafeEqual(entry.hash, hash)) found = entry.principal;
      return found;
    },
    byCertificate: (commonName) => certificates.get(commonName),
    size: { tokens: tokens.length, certificates: certificates.size },
  };
}

export const hasScope = (principal: ApiPrincipal, scope: string): boolean =>
  principal.scopes.has(ALL_SCOPES) || principal.scopes.has(scope);
