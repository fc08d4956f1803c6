import { loggableConfig, readConfig } from './config';

const required = { DATABASE_URL: 'postgres://u@127.0.0.1/db', NATS_URL: 'nats://127.0.0.1:4222' };

describe('recording config', () => {
  it('has working defaults: port 50056, the fs store, loopback RTP, the media-worker on 50053', () => {
    const config = readConfig(required);
    expect(config).toMatchObject({
      GRPC_PORT: 50056,
      RECORDING_STORE: 'fs',
      RECORDING_RTP_HOST: '127.0.0.1',
      MEDIA_WORKER_GRPC: { host: '127.0.0.1', port: 50053 },
      STORE_ATTEMPTS: 3,
    });
    expect(config.RECORDING_INSTANCE).toMatch(/^[A-Za-z0-9_.-]+$/);
  });

  it('wants the bucket and the credentials with RECORDING_STORE=s3, naming each missing variable', () => {
    expect(() => readConfig({ ...required, RECORDING_STORE: 's3', S3_BUCKET: 'rec' })).toThrow(
      /S3_ACCESS_KEY_ID: required with RECORDING_STORE=s3.*S3_SECRET_ACCESS_KEY: required/,
    );
    const config = readConfig({
      ...required,
      RECORDING_STORE: 's3',
      S3_BUCKET: 'rec',
      S3_ACCESS_KEY_ID: 'AKID',
      S3_SECRET_ACCESS_KEY: 'very-secret',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(config).toMatchObject({ S3_BUCKET: 'rec', S3_FORCE_PATH_STYLE: true, S3_REGION: 'us-east-1' });
  });

  it('refuses an instance name that is not one token and an unknown store', () => {
    expect(() => readConfig({ ...required, RECORDING_INSTANCE: 'a b' })).toThrow(/RECORDING_INSTANCE/);
    expect(() => readConfig({ ...required, RECORDING_STORE: 'nfs' })).toThrow(/RECORDING_STORE/);
  });

  it('never shows the S3 secret when logged', () => {
    const config = readConfig({
      ...required,
      RECORDING_STORE: 's3',
      S3_BUCKET: 'rec',
      S3_ACCESS_KEY_ID: 'AKID',
      S3_SECRET_ACCESS_KEY: 'very-secret',
    });
    expect(JSON.stringify(loggableConfig(config))).not.toContain('very-secret');
  });
});
