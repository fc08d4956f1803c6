// Verification of AWS Signature Version 4 as AWS services do it, for the Polly double: parse the
// Authorization header, rebuild the canonical request from what arrived, and compare signatures.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SignedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type SigV4Verdict =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | {
      ok: false;
      errorType: 'IncompleteSignatureException' | 'UnrecognizedClientException' | 'InvalidSignatureException';
      message: string;
    };

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept). */
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(search: URLSearchParams): string {
  return [...search.entries()]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function canonicalPath(path: string): string {
  // Non-S3 services encode each segment twice: once by the client when it built the URL, once for signing.
  return path
    .split('/')
    .map((segment) => encode(encode(decodeURIComponent(segment))))
    .join('/');
}

/**
 * Checks `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders=..., Signature=...`
 * against the secret of the access key id, as the service named by `expect` in the region.
 */
export function verifySigV4(
  request: SignedRequest,
  secrets: ReadonlyMap<string, string>,
  expect: { region: string; service: string },
): SigV4Verdict {
  const authorization = String(request.headers.authorization ?? '');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) {
    return {
      ok: false,
      errorType: 'IncompleteSignatureException',
      message: `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.`,
    };
  }
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  const secret = secrets.get(accessKeyId!);
  if (secret === undefined) {
    return {
      ok: false,
      errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date!) || region !== expect.region || service !== expect.service) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: `Credential should be scoped to a valid region and service: expected ${expect.region}/${expect.service}, got ${region}/${service}.`,
    };
  }
  // AWS refuses a signature more than 15 minutes away from its clock.
  const signedAt = Date.parse(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (!Number.isFinite(signedAt) || Math.abs(Date.now() - signedAt) > 15 * 60_000) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: `Signature expired: ${amzDate} is now earlier or later than the allowed window.`,
    };
  }
  const names = signedHeaders!.split(';');
  if (!names.includes('host')) {
    return { ok: false, errorType: 'InvalidSignatureException', message: "'Host' must be a signed header." };
  }
  const headerValue = (name: string) => {
    const value = request.headers[name];
    return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ');
  };
  const url = new URL(request.url, 'http://double');
  const payloadHash = String(request.headers['x-amz-content-sha256'] ?? sha256(request.body));
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(request.body)) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: 'The provided x-amz-content-sha256 does not match the body.',
    };
  }
  const canonicalRequest = [
    request.method,
    canonicalPath(url.pathname),
    canonicalQuery(url.searchParams),
    names.map((n) => `${n}:${headerValue(n)}\n`).join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = ['aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!),
  );
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature!))) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true, accessKeyId: accessKeyId!, region: region!, service: service! };
}
