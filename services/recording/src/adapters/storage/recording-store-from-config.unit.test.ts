import { ConfigError } from '@callctl/config';
import { recordingStoreFromConfig } from './recording-store-from-config.js';

describe('recordingStoreFromConfig', () => {
  it('makes a directory store from RECORDING_DIR', () => {
    const { store, close } = recordingStoreFromConfig({
      RECORDING_STORE: 'fs',
      RECORDING_DIR: '/var/lib/recordings',
    });
    expect(store.kind).toBe('fs');
    close();
  });

  it('makes an S3 store from the S3_ variables', () => {
    const { store, close } = recordingStoreFromConfig({
      RECORDING_STORE: 's3',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'recordings',
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: true,
    });
    expect(store.kind).toBe('s3');
    close();
  });

  it('names every variable the chosen store is missing', () => {
    expect(() => recordingStoreFromConfig({ RECORDING_STORE: 'fs' })).toThrow(ConfigError);
    expect(() => recordingStoreFromConfig({ RECORDING_STORE: 'fs' })).toThrow(/RECORDING_DIR/);
    let error: unknown;
    try {
      recordingStoreFromConfig({ RECORDING_STORE: 's3', S3_BUCKET: 'recordings', RECORDING_DIR: '/ignored' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([
      'S3_REGION',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
    ]);
  });
});
