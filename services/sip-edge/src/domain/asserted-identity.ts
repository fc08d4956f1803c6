// Asserted identity and privacy of an outbound INVITE (RFC 3325, RFC 3323), pure. Towards a peer of the
// trust domain the INVITE asserts the caller's identity in P-Asserted-Identity; towards anyone else no
// P-Asserted-Identity leaves (whoever set it). `Privacy: id` (or `user`, which asks the same of the From)
// anonymises the From for everyone, so only the trust domain still learns who calls, and it is told to
// withhold it by the Privacy header kept on the request.
/** Header name to value, as srf takes them. */
type SipHeaders = Record<string, string>;

/** The From of an anonymous call (RFC 3323 §4.1.1.3). */
export const ANONYMOUS_FROM = '"Anonymous" <sip:anonymous@anonymous.invalid>';

const IDENTITY_HEADERS = new Set(['p-asserted-identity', 'p-preferred-identity']);

/** True when a Privacy header value asks for the caller's identity to be withheld. */
export function privacyWithholdsIdentity(privacy: string | undefined): boolean {
  if (!privacy) return false;
  return privacy
    .split(/[;,]/)
    .map((token) => token.trim().toLowerCase())
    .some((token) => token === 'id' || token === 'user');
}

function headerOf(headers: SipHeaders, lowerName: string): string | undefined {
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === lowerName) return value;
  return undefined;
}

/**
 * The headers of an INVITE to a peer, `trusted` or not, from the headers the leg would send (`From` set):
 * the identity asserted is their P-Asserted-Identity when one was given (the application's, or a trusted
 * caller's), else the From; P-Preferred-Identity never leaves (a proxy turns it into an assertion).
 */
export function identityHeaders(headers: SipHeaders, trusted: boolean): SipHeaders {
  const asserted = headerOf(headers, 'p-asserted-identity') ?? headerOf(headers, 'from');
  const out: SipHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (!IDENTITY_HEADERS.has(name.toLowerCase())) out[name] = value;
  if (trusted && asserted) out['P-Asserted-Identity'] = asserted;
  if (privacyWithholdsIdentity(headerOf(headers, 'privacy'))) {
    for (const name of Object.keys(out)) if (name.toLowerCase() === 'from') delete out[name];
    out['From'] = ANONYMOUS_FROM;
  }
  return out;
}

/**
 * What an inbound INVITE says of its caller that an outbound leg dialled for it may pass on: the
 * P-Asserted-Identity when the INVITE came from the trust domain (from anyone else it is not believed,
 * RFC 3325 §5), or the AOR of the device the platform authenticated; and its Privacy request.
 */
export function callerIdentity(input: {
  trustedSource: boolean;
  assertedIdentity?: string;
  authenticatedUser?: string;
  privacy?: string;
}): { assertedIdentity?: string; privacy?: string } {
  const asserted =
    input.trustedSource && input.assertedIdentity
      ? input.assertedIdentity
      : input.authenticatedUser
        ? `<sip:${input.authenticatedUser}>`
        : undefined;
  return {
    ...(asserted ? { assertedIdentity: asserted } : {}),
    ...(input.privacy ? { privacy: input.privacy } : {}),
  };
}
