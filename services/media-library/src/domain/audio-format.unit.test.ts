import { sniffFormat } from './audio-format.js';

const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

describe('sniffFormat', () => {
  it.each([
    ['wav', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt ')],
    ['mp3', bytes('ID3', [4, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['mp3', bytes([0xff, 0xfb, 0x90, 0x64])], // MPEG-1 layer III frame
    ['ogg', bytes('OggS', [0, 2, 0, 0, 0, 0, 0, 0])],
    ['flac', bytes('fLaC', [0, 0, 0, 0x22])],
  ])('recognises %s by its magic bytes', (format, head) => {
    expect(sniffFormat(head)).toBe(format);
  });

  it.each([
    ['text', bytes('hello, this is text')],
    ['RIFF that is not WAVE (AVI)', bytes('RIFF', [0, 0, 0, 0], 'AVI LIST')],
    ['AAC in ADTS (layer bits 00)', bytes([0xff, 0xf1, 0x50, 0x80])],
    ['nothing', new Uint8Array()],
  ])('leaves %s to ffprobe', (_, head) => {
    expect(sniffFormat(head)).toBeUndefined();
  });
});
