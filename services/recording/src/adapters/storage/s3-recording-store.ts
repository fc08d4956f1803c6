// Finished recordings in an S3-compatible bucket. A put is one PutObject carrying the file's SHA-256
// (x-amz-checksum-sha256) and its MD5 (Content-MD5), computed from the file before the upload: the server
// recomputes them over what it received and refuses the object (BadDigest) when a byte differs or is
// missing, so a torn or corrupted upload never becomes a stored object, and the previous version of the key
// (if any) stays as it was. Content-MD5 is there because every S3-compatible server checks it, the SHA-256
// because it is the stronger check AWS makes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { NotFoundError, UnavailableError } from '@callctl/errors';
import type { RecordingStore } from '../../app/ports.js';
import { storageKeySegments } from './storage-key.js';

export interface S3RecordingStoreOptions {
  /** e.g. http://127.0.0.1:9000 for a self-hosted server; undefined: AWS's endpoint for the region. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), which most self-hosted servers need. */
  readonly forcePathStyle: boolean;
  /** Connecting, and each wait for the server's next bytes. @default 30000 */
  readonly timeoutMs?: number;
  /** Attempts per operation, a fresh file stream each (the SDK's own retries cannot replay a stream). @default 3 */
  readonly maxAttempts?: number;
}

export interface S3RecordingStore extends RecordingStore {
  /** Closes the client's connections (service shutdown). */
  close(): void;
}

const SILENT = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export function s3RecordingStore(options: S3RecordingStoreOptions): S3RecordingStore {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    requestHandler: new NodeHttpHandler({ connectionTimeout: timeoutMs, requestTimeout: timeoutMs }),
    maxAttempts: 1,
    // The put sends the checksums it computed itself; the SDK must not add its own (CRC32 in an aws-chunked
    // trailer, which not every S3-compatible server understands).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    // Every failure reaches the caller as a typed error; without a logger of its own the SDK would print to
    // the console that a streamed put is not retried (withRetries retries it, from the file).
    logger: SILENT,
  });
  const bucket = options.bucket;
  const attempts = options.maxAttempts ?? 3;
  const keyOf = (key: string) => storageKeySegments(key).join('/');

  return {
    kind: 's3',

    async put(key, localPath) {
      const objectKey = keyOf(key);
      const { sha256, md5, bytes } = await digestsOf(localPath);
      await withRetries(attempts, 'put', objectKey, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: objectKey,
            // Read again for the upload: a file that changed since it was hashed is refused by the server.
            Body: createReadStream(localPath),
            ContentLength: bytes,
            ContentType: 'audio/wav',
            ContentMD5: md5,
            ChecksumSHA256: sha256,
          }),
        ),
      );
      return { bytes };
    },

    async *read(key) {
      const objectKey = keyOf(key);
      const response = await withRetries(attempts, 'read', objectKey, () =>
        client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey })),
      );
      if (!response.Body) throw new UnavailableError(`s3 answered GetObject ${objectKey} without a body`);
      // In Node the body is the response stream (an IncomingMessage), which is async iterable.
      yield* response.Body as unknown as AsyncIterable<Uint8Array>;
    },

    async delete(key) {
      const objectKey = keyOf(key);
      // S3 answers 204 for a key it does not have.
      await withRetries(attempts, 'delete', objectKey, () =>
        client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey })),
      );
    },

    close() {
      client.destroy();
    },
  };
}

async function digestsOf(path: string): Promise<{ sha256: string; md5: string; bytes: number }> {
  const { size } = await stat(path).catch((error: unknown) => {
    throw isCode(error, 'ENOENT')
      ? new NotFoundError(`no file ${path} to store`, { path }, { cause: error })
      : error;
  });
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    md5.update(chunk);
    bytes += chunk.length;
  }
  if (bytes !== size) throw new UnavailableError(`${path} changed size while it was hashed`, { path });
  return { sha256: sha256.digest('base64'), md5: md5.digest('base64'), bytes };
}

const RETRY_BACKOFF_MS = 250;

/** Runs `send` until it succeeds, fails for good (NotFound) or has used its attempts, backing off between. */
async function withRetries<T>(
  attempts: number,
  operation: string,
  key: string,
  send: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (cause) {
      const error = storeError(cause, operation, key);
      if (error instanceof NotFoundError || isPermanent(cause) || attempt >= attempts) throw error;
      await new Promise((done) => setTimeout(done, RETRY_BACKOFF_MS * attempt));
    }
  }
}

/**
 * A 4xx the same request will get again (bad credentials, no such bucket). A timeout, throttling and
 * BadDigest (bytes damaged on the way; the next attempt reads the file anew) are worth another attempt.
 */
function isPermanent(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = (error as { name?: unknown })?.name;
  return (
    status !== undefined &&
    status >= 400 &&
    status < 500 &&
    ![408, 429].includes(status) &&
    name !== 'BadDigest'
  );
}

/** NoSuchKey is NotFound; anything else the server or the network said is Unavailable (retry later). */
function storeError(error: unknown, operation: string, key: string): Error {
  if (error instanceof NotFoundError || error instanceof UnavailableError) return error;
  const name = error instanceof S3ServiceException ? error.name : (error as Error)?.name;
  if (name === 'NoSuchKey' || name === 'NotFound')
    return new NotFoundError(`no recording file ${key}`, { key }, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new UnavailableError(
    `s3 ${operation} of ${key} failed: ${name}: ${message}`,
    { key, name },
    { cause: error },
  );
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
