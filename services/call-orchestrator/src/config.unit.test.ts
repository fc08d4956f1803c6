// The defaults that depend on another service's bounds.
import { readConfig } from './config.js';

const minimal = { DATABASE_URL: 'postgres://u@127.0.0.1/db', NATS_URL: 'nats://127.0.0.1:4222' };

describe('readConfig', () => {
  it('waits for the tts service longer than it bounds a request (15 s) and a provider with its fallback (5 + 5 s)', () => {
    const config = readConfig(minimal);
    expect(config.TTS_TIMEOUT_MS).toBe(20_000);
    expect(config.TTS_TIMEOUT_MS).toBeGreaterThan(15_000);
  });

  it('takes TTS_TIMEOUT_MS from the environment', () => {
    expect(readConfig({ ...minimal, TTS_TIMEOUT_MS: '30000' }).TTS_TIMEOUT_MS).toBe(30_000);
  });

  it('finds the recording service (Recorder and Recordings) on 50056 unless told', () => {
    expect(readConfig(minimal).RECORDING_GRPC).toEqual(
      readConfig({ ...minimal, RECORDING_GRPC: '127.0.0.1:50056' }).RECORDING_GRPC,
    );
    expect(readConfig(minimal).RECORDING_TIMEOUT_MS).toBe(10_000);
  });
});
