// Which RecordingStore the service uses, from its already-parsed configuration (config.ts reads the
// environment): a directory, or an S3-compatible bucket. What the chosen store needs and is missing is a
// ConfigError naming the variables, so the service refuses to start rather than fail at the first save.
import { ConfigError } from '@callctl/config';
import { fsRecordingStore } from './fs-recording-store.js';
import { s3RecordingStore } from './s3-recording-store.js';
import type { RecordingStore } from '../../app/ports.js';

export interface RecordingStoreConfig {
  readonly RECORDING_STORE: 'fs' | 's3';
  /** fs: the directory (a volume shared by the replicas in a cluster). */
  readonly RECORDING_DIR?: string | undefined;
  /** s3: another endpoint than AWS's for the region (a self-hosted server); unset: AWS. */
  readonly S3_ENDPOINT?: string | undefined;
  readonly S3_BUCKET?: string | undefined;
  readonly S3_REGION?: string | undefined;
  readonly S3_ACCESS_KEY_ID?: string | undefined;
  readonly S3_SECRET_ACCESS_KEY?: string | undefined;
  /** Path-style URLs, which most self-hosted servers need. */
  readonly S3_FORCE_PATH_STYLE?: boolean | undefined;
}

/** The store and a close() for shutdown (the S3 client's connections; nothing for a directory). */
export function recordingStoreFromConfig(config: RecordingStoreConfig): {
  store: RecordingStore;
  close(): void;
} {
  if (config.RECORDING_STORE === 'fs') {
    if (!config.RECORDING_DIR)
      throw new ConfigError('recording', [
        { variable: 'RECORDING_DIR', problem: 'required with RECORDING_STORE=fs' },
      ]);
    return { store: fsRecordingStore({ root: config.RECORDING_DIR }), close: () => undefined };
  }
  const required = ['S3_BUCKET', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;
  const missing = required.filter((name) => !config[name]);
  if (missing.length > 0)
    throw new ConfigError(
      'recording',
      missing.map((variable) => ({ variable, problem: 'required with RECORDING_STORE=s3' })),
    );
  const store = s3RecordingStore({
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    bucket: config.S3_BUCKET as string,
    region: config.S3_REGION as string,
    accessKeyId: config.S3_ACCESS_KEY_ID as string,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY as string,
    forcePathStyle: config.S3_FORCE_PATH_STYLE ?? false,
  });
  return { store, close: () => store.close() };
}
