import { encodeFrame, FrameDecoder, FramingError } from './framing.js';

describe('admin framing', () => {
  const payloads = ['abc|ping', 'x|sip|t|\r\nINVITE sip:a SIP/2.0\r\nFrom: "María 😀" <sip:m@x>\r\n\r\n', ''];
  const stream = Buffer.concat(payloads.map(encodeFrame));

  it('counts UTF-8 bytes, not characters, in the length prefix', () => {
    const frame = encodeFrame('María');
    expect(frame.toString('latin1').startsWith('6#')).toBe(true);
  });

  it('decodes several frames merged into one chunk', () => {
    expect(new FrameDecoder().push(stream)).toEqual(payloads);
  });

  it('decodes frames split at every byte position', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const out = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(out).toEqual(payloads);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const decoder = new FrameDecoder();
    const out: string[] = [];
    for (const byte of stream) out.push(...decoder.push(Buffer.from([byte])));
    expect(out).toEqual(payloads);
  });

  it('rejects a non-digit before the hash', () => {
    expect(() => new FrameDecoder().push(Buffer.from('1a#x'))).toThrow(FramingError);
  });

  it('rejects an over-long length prefix without a hash', () => {
    expect(() => new FrameDecoder().push(Buffer.from('1234567890'))).toThrow(FramingError);
  });

  it('rejects a frame larger than the configured cap', () => {
    expect(() => new FrameDecoder({ maxFrameBytes: 10 }).push(Buffer.from('11#'))).toThrow(/exceeds/);
  });
});
