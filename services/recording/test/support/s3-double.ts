// A local double of the S3 HTTP API for the S3 recording store's tests (path-style PutObject, GetObject,
// HeadObject, DeleteObject), on a free loopback port. No real S3 server installs here: MinIO and moto are
// not packaged for Debian bookworm, its radosgw (Ceph 16) needs a running Ceph cluster (no standalone
// backend in that version), and the npm `s3rver` servers verify no payload checksum (3.7.1 verifies no SigV4
// signature either). So this double checks what S3 itself checks on these requests, and answers S3's
// error codes in S3's XML:
// - SigV4: an `AWS4-HMAC-SHA256` Authorization header (AccessDenied without one), a known access key
//   (InvalidAccessKeyId), the signature recomputed from the canonical request with the secret key
//   (SignatureDoesNotMatch), x-amz-date within 15 minutes (RequestTimeTooSkewed);
// - the payload: x-amz-content-sha256 against the body when it is a hash (XAmzContentSHA256Mismatch),
//   Content-MD5 (InvalidDigest when malformed, BadDigest when it differs), x-amz-checksum-sha256 and
//   x-amz-checksum-crc32 (BadDigest); a body shorter than Content-Length is never stored;
// - the bucket (NoSuchBucket) and the key (NoSuchKey on GET, 404 without a body on HEAD).
// An object is stored only after every check passed, replacing the key's previous version at once.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

export interface S3DoubleOptions {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly buckets: readonly string[];
}

interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly lastModified: Date;
  readonly sha256: string;
}

/** What a test can do to the next PutObject, after the client signed and checksummed it. */
export type PutFault = 'flip-a-byte';

export interface S3Double {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** Stored objects by bucket and key (a test looks at what the server holds). */
  object(bucket: string, key: string): Buffer | undefined;
  /** Every request's method, path and S3 error code (or 'OK'), in order. */
  readonly requests: { method: string; path: string; outcome: string }[];
  /** Damages the next PutObject's body as if on the wire, before the server's checks. */
  injectPutFault(fault: PutFault): void;
  close(): Promise<void>;
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

const MAX_SKEW_MS = 15 * 60_000;
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export async function startS3Double(options: S3DoubleOptions): Promise<S3Double> {
  const buckets = new Map<string, Map<string, StoredObject>>(options.buckets.map((b) => [b, new Map()]));
  const requests: S3Double['requests'] = [];
  let putFault: PutFault | undefined;

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      const s3 =
        error instanceof S3Error
          ? error
          : new S3Error(500, 'InternalError', (error as Error)?.message ?? 'error');
      requests.push({
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://localhost').pathname,
        outcome: s3.code,
      });
      if (res.headersSent) return res.destroy();
      sendError(req, res, s3);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    verifySignature(req, url, options);
    verifyPayloadHash(req, body);

    // Path style: /<bucket>/<key...>
    const [, bucketName = '', ...keyParts] = url.pathname.split('/');
    const bucket = buckets.get(decodeURIComponent(bucketName));
    if (!bucket)
      throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', {
        BucketName: bucketName,
      });
    const key = keyParts.map(decodeURIComponent).join('/');
    if (!key)
      throw new S3Error(501, 'NotImplemented', 'only object operations are implemented by this double');

    switch (req.method) {
      case 'PUT': {
        if (putFault === 'flip-a-byte' && body.length > 0) {
          putFault = undefined;
          const middle = body.length >> 1;
          body.writeUInt8(body.readUInt8(middle) ^ 0xff, middle);
        }
        const stored = store(req, body);
        bucket.set(key, stored);
        res.writeHead(200, {
          ETag: stored.etag,
          'x-amz-checksum-sha256': stored.sha256,
          'x-amz-request-id': requestId(),
        });
        res.end();
        break;
      }
      case 'GET':
      case 'HEAD': {
        const object = bucket.get(key);
        if (!object) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
        res.writeHead(200, {
          'Content-Length': String(object.body.length),
          'Content-Type': object.contentType,
          ETag: object.etag,
          'Last-Modified': object.lastModified.toUTCString(),
          'x-amz-request-id': requestId(),
        });
        res.end(req.method === 'GET' ? object.body : undefined);
        break;
      }
      case 'DELETE':
        bucket.delete(key);
        res.writeHead(204, { 'x-amz-request-id': requestId() });
        res.end();
        break;
      default:
        throw new S3Error(405, 'MethodNotAllowed', `${req.method} is not allowed against this resource`);
    }
    requests.push({ method: req.method ?? '', path: url.pathname, outcome: 'OK' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    object: (bucket, key) => buckets.get(bucket)?.get(key)?.body,
    requests,
    injectPutFault: (fault) => {
      putFault = fault;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request's body; one cut short of its Content-Length rejects (the client went away). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) !== body.length)
        reject(
          new S3Error(
            400,
            'IncompleteBody',
            'You did not provide the number of bytes specified by the Content-Length HTTP header',
          ),
        );
      else resolve(body);
    });
    req.on('aborted', () => reject(new S3Error(400, 'IncompleteBody', 'the request was aborted')));
    req.on('error', reject);
  });
}

/** The object to store once every checksum the request carries matches its body. */
function store(req: IncomingMessage, body: Buffer): StoredObject {
  const md5 = createHash('md5').update(body);
  const md5Base64 = md5.copy().digest('base64');
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined) {
    if (Buffer.from(contentMd5, 'base64').length !== 16)
      throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.');
    if (contentMd5 !== md5Base64)
      throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  const sha256 = createHash('sha256').update(body).digest('base64');
  const checksumSha256 = header(req, 'x-amz-checksum-sha256');
  if (checksumSha256 !== undefined && checksumSha256 !== sha256)
    throw new S3Error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
  const checksumCrc32 = header(req, 'x-amz-checksum-crc32');
  if (checksumCrc32 !== undefined) {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    if (checksumCrc32 !== crc.toString('base64'))
      throw new S3Error(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
  }
  for (const name of Object.keys(req.headers))
    if (
      name.startsWith('x-amz-checksum-') &&
      !['x-amz-checksum-sha256', 'x-amz-checksum-crc32'].includes(name)
    )
      throw new S3Error(501, 'NotImplemented', `this double does not verify ${name}`);
  return {
    body,
    contentType: header(req, 'content-type') ?? 'binary/octet-stream',
    etag: `"${md5.digest('hex')}"`,
    lastModified: new Date(),
    sha256,
  };
}

function verifyPayloadHash(req: IncomingMessage, body: Buffer): void {
  const declared = header(req, 'x-amz-content-sha256');
  if (declared === undefined)
    throw new S3Error(
      400,
      'InvalidRequest',
      'Missing required header for this request: x-amz-content-sha256',
    );
  if (declared === 'UNSIGNED-PAYLOAD') return;
  if (declared.startsWith('STREAMING-'))
    throw new S3Error(501, 'NotImplemented', `this double does not decode aws-chunked bodies (${declared})`);
  if (!/^[0-9a-f]{64}$/.test(declared))
    throw new S3Error(
      400,
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.',
    );
  const actual = body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
  if (declared !== actual)
    throw new S3Error(
      400,
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
}

/** SigV4 as S3 verifies it (header authentication; https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html). */
function verifySignature(req: IncomingMessage, url: URL, options: S3DoubleOptions): void {
  const authorization = header(req, 'authorization');
  if (!authorization) throw new S3Error(403, 'AccessDenied', 'Access Denied');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed');
  const [, accessKeyId, day, region, signedHeaders, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (accessKeyId !== options.accessKeyId)
    throw new S3Error(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  if (region !== options.region)
    throw new S3Error(
      400,
      'AuthorizationHeaderMalformed',
      `the region '${region}' is wrong; expecting '${options.region}'`,
    );
  const amzDate = header(req, 'x-amz-date') ?? '';
  const at = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!at || !amzDate.startsWith(day))
    throw new S3Error(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const time = Date.UTC(+at[1]!, +at[2]! - 1, +at[3]!, +at[4]!, +at[5]!, +at[6]!);
  if (Math.abs(Date.now() - time) > MAX_SKEW_MS)
    throw new S3Error(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );

  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date'))
    throw new S3Error(400, 'AuthorizationHeaderMalformed', 'host and x-amz-date must be signed');
  const canonicalHeaders = names
    .map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalQuery = [...url.searchParams]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  // S3 signs the path as the client sent it (encoded once), unlike other services.
  const canonicalRequest = [
    req.method,
    url.pathname,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    header(req, 'x-amz-content-sha256') ?? '',
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${options.secretAccessKey}`, day);
  for (const part of [region, 's3', 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature)
    throw new S3Error(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
}

function sendError(req: IncomingMessage, res: ServerResponse, error: S3Error): void {
  const id = requestId();
  if (req.method === 'HEAD') {
    res.writeHead(error.status, { 'x-amz-request-id': id });
    res.end();
    return;
  }
  const extra = Object.entries(error.extra)
    .map(([k, v]) => `<${k}>${xml(v)}</${k}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${xml(error.message)}</Message>${extra}<RequestId>${id}</RequestId></Error>`;
  // The request may not have been read to its end (an error before the body): close rather than reuse.
  res.writeHead(error.status, {
    'Content-Type': 'application/xml',
    'x-amz-request-id': id,
    Connection: 'close',
  });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const requestId = () => randomBytes(8).toString('hex').toUpperCase();
