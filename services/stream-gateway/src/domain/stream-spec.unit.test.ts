import { StreamValidationError } from './errors.js';
import { endpointUrl, frameBytes, mediaFormat } from './stream-spec.js';

describe('stream spec', () => {
  it('takes wss:// always and ws:// only when allowed', () => {
    expect(endpointUrl('wss://bot.example/stream', false).host).toBe('bot.example');
    expect(endpointUrl('ws://127.0.0.1:8080/', true).port).toBe('8080');
    expect(() => endpointUrl('ws://127.0.0.1:8080/', false)).toThrow(/STREAM_ALLOW_INSECURE/);
    expect(() => endpointUrl('ftp://example.com/', true)).toThrow(StreamValidationError);
    expect(() => endpointUrl('https://example.com/', true)).toThrow(/wss:/);
    expect(() => endpointUrl('not a url', true)).toThrow(/does not parse/);
  });

  it('knows the formats and their frame sizes', () => {
    expect(frameBytes(mediaFormat('PCMU', 0))).toBe(160);
    expect(frameBytes(mediaFormat('L16', 8000))).toBe(320);
    expect(frameBytes(mediaFormat('L16', 16000))).toBe(640);
    expect(() => mediaFormat('PCMU', 16000)).toThrow(StreamValidationError);
    expect(() => mediaFormat('L16', 44100)).toThrow(StreamValidationError);
  });
});
