// The S3 store against the local S3 double (test/support/s3-double.ts; no real S3 server installs here):
// the RecordingStore contract over signed HTTP, and the integrity an upload relies on: the store sends the
// file's checksums, so an upload whose bytes were damaged on the way is refused by the server and never
// stored; and errors the caller can act on are typed (NotFound) while the rest are Unavailable.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NotFoundError, UnavailableError } from '@callctl/errors';
import { makeToneFile } from '@callctl/testing';
import {
  s3RecordingStore,
  type S3RecordingStore,
  type S3RecordingStoreOptions,
} from '../src/adapters/storage/s3-recording-store.js';
import { startS3Double, type S3Double } from './support/s3-double.js';
import { describeRecordingStoreContract, readAll, sha256Of } from './support/recording-store-contract.js';

const CREDENTIALS = { accessKeyId: 'AKIARECORDINGTEST', secretAccessKey: 'recording-test-secret-key' };
const REGION = 'eu-west-3';
const BUCKET = 'recordings';

let s3: S3Double;
let work: string;
const stores: S3RecordingStore[] = [];

function storeOf(overrides: Partial<S3RecordingStoreOptions> = {}): S3RecordingStore {
  const store = s3RecordingStore({
    endpoint: s3.endpoint,
    region: REGION,
    bucket: BUCKET,
    ...CREDENTIALS,
    forcePathStyle: true,
    timeoutMs: 10_000,
    ...overrides,
  });
  stores.push(store);
  return store;
}

beforeAll(async () => {
  s3 = await startS3Double({ ...CREDENTIALS, region: REGION, buckets: [BUCKET] });
  work = await mkdtemp(join(tmpdir(), 's3-recording-store-'));
});
afterAll(async () => {
  for (const store of stores) store.close();
  await s3?.close();
  await rm(work, { recursive: true, force: true });
});

describeRecordingStoreContract('s3', () => storeOf());

describe('s3 store', () => {
  it('stores the object under the key in the bucket, with the file’s bytes', async () => {
    const file = makeToneFile(work, 'object.wav', 1, 440);
    await storeOf().put('rec-object/part-1.wav', file);
    const object = s3.object(BUCKET, 'rec-object/part-1.wav');
    expect(object && sha256Of(object)).toBe(sha256Of(await readFile(file)));
    const put = s3.requests.filter(
      (r) => r.method === 'PUT' && r.path === `/${BUCKET}/rec-object/part-1.wav`,
    );
    expect(put.map((r) => r.outcome)).toEqual(['OK']);
  });

  it('refuses an upload damaged on the way (checksum mismatch) and keeps the stored version', async () => {
    const store = storeOf({ maxAttempts: 1 });
    const key = 'rec-torn/part-1.wav';
    const first = makeToneFile(work, 'first.wav', 4, 440);
    await store.put(key, first);

    s3.injectPutFault('flip-a-byte');
    const second = makeToneFile(work, 'second.wav', 4, 1000);
    const refused = store.put(key, second);
    await expect(refused).rejects.toBeInstanceOf(UnavailableError);
    await expect(refused).rejects.toThrow(/BadDigest/);
    expect(sha256Of(await readAll(store, key))).toBe(sha256Of(await readFile(first)));
  });

  it('retries a damaged upload from the file and stores it whole', async () => {
    const store = storeOf({ maxAttempts: 2 });
    const key = 'rec-retried/part-1.wav';
    const file = makeToneFile(work, 'retried.wav', 4, 440);
    s3.injectPutFault('flip-a-byte');
    await store.put(key, file);
    expect(sha256Of(await readAll(store, key))).toBe(sha256Of(await readFile(file)));
    const outcomes = s3.requests.filter(
      (r) => r.method === 'PUT' && r.path.endsWith('/rec-retried/part-1.wav'),
    );
    expect(outcomes.map((r) => r.outcome)).toEqual(['BadDigest', 'OK']);
  });

  it('the double refuses a SHA-256 checksum that does not match the body, as S3 does', async () => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: CREDENTIALS,
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    try {
      const body = Buffer.from('the bytes sent');
      const wrong = createHash('sha256').update('other bytes').digest('base64');
      await expect(
        client.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: 'rec-wrong/part-1.wav',
            Body: body,
            ChecksumSHA256: wrong,
          }),
        ),
      ).rejects.toMatchObject({ name: 'BadDigest' });
      const wrongMd5 = createHash('md5').update('other bytes').digest('base64');
      await expect(
        client.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: 'rec-wrong/part-1.wav',
            Body: body,
            ContentMD5: wrongMd5,
          }),
        ),
      ).rejects.toMatchObject({ name: 'BadDigest' });
      expect(s3.object(BUCKET, 'rec-wrong/part-1.wav')).toBeUndefined();
    } finally {
      client.destroy();
    }
  });

  it('is refused with a wrong secret or an unknown access key, and for a bucket that does not exist', async () => {
    const file = join(work, 'small.wav');
    await writeFile(file, 'small');
    await expect(
      storeOf({ secretAccessKey: 'not-the-secret' }).put('rec-auth/part-1.wav', file),
    ).rejects.toThrow(/SignatureDoesNotMatch/);
    await expect(storeOf({ accessKeyId: 'AKIAUNKNOWN' }).put('rec-auth/part-1.wav', file)).rejects.toThrow(
      /InvalidAccessKeyId/,
    );
    const noBucket = storeOf({ bucket: 'no-such-bucket' });
    await expect(noBucket.put('rec-auth/part-1.wav', file)).rejects.toThrow(/NoSuchBucket/);
    // A missing bucket is the configuration's fault, not a missing recording.
    await expect(readAll(noBucket, 'rec-auth/part-1.wav')).rejects.toBeInstanceOf(UnavailableError);
    expect(s3.object(BUCKET, 'rec-auth/part-1.wav')).toBeUndefined();
  });

  it('reads a missing key as NotFound without retrying', async () => {
    const before = s3.requests.length;
    await expect(readAll(storeOf(), 'rec-missing/part-1.wav')).rejects.toBeInstanceOf(NotFoundError);
    expect(s3.requests.slice(before).map((r) => r.outcome)).toEqual(['NoSuchKey']);
  });

  it('answers Unavailable when nothing listens at the endpoint', async () => {
    const file = join(work, 'down.wav');
    await writeFile(file, 'down');
    const down = storeOf({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    await expect(down.put('rec-down/part-1.wav', file)).rejects.toBeInstanceOf(UnavailableError);
  });
});
