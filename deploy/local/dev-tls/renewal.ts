// What `make dev` must (re)make of its dev CA and certificate, from what it found on disk: pure, so the
// rules are read and tested in one place. The CA is kept as long as it is usable, because a browser told
// to trust it must not be told again; the certificate is cheap and is made again whenever it is in doubt.

/** What was found under .state/dev-tls. */
export interface FoundCertificates {
  /** ca.pem and ca.key exist, and the CA does not expire within the renewal window. */
  caUsable: boolean;
  /** cert.pem and cert.key exist, and the certificate does not expire within the renewal window. */
  certUsable: boolean;
  /** cert.pem verifies against ca.pem (a CA made again invalidates every certificate of the old one). */
  certSignedByCa: boolean;
}

export interface Renewal {
  makeCa: boolean;
  makeCert: boolean;
}

export function renewal(found: FoundCertificates): Renewal {
  const makeCa = !found.caUsable;
  return { makeCa, makeCert: makeCa || !found.certUsable || !found.certSignedByCa };
}
