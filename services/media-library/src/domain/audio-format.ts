// What the first bytes of an upload say it is. The name the uploader gave is never consulted: a text file
// called welcome.wav is still text.

/** Formats recognised by their magic bytes; anything else is left to ffprobe. */
export const SNIFFED_FORMATS = ['wav', 'mp3', 'ogg', 'flac'] as const;
export type SniffedFormat = (typeof SNIFFED_FORMATS)[number];

/** Bytes needed to tell the formats above apart. */
export const SNIFF_BYTES = 12;

const ascii = (bytes: Uint8Array, at: number, text: string) =>
  bytes.length >= at + text.length && [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));

/**
 * An MPEG audio frame header: 11 sync bits, a version other than "reserved" (01) and a layer other than
 * "reserved" (00). The layer check also keeps out AAC in ADTS, whose sync word has layer 00.
 */
function mpegFrameSync(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== 0xff) return false;
  const b1 = bytes[1] ?? 0;
  return (b1 & 0xe0) === 0xe0 && ((b1 >> 3) & 0x03) !== 0x01 && ((b1 >> 1) & 0x03) !== 0x00;
}

/** The format the magic bytes name, or undefined when they name none of SNIFFED_FORMATS. */
export function sniffFormat(head: Uint8Array): SniffedFormat | undefined {
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'wav';
  if (ascii(head, 0, 'ID3') || mpegFrameSync(head)) return 'mp3';
  if (ascii(head, 0, 'OggS')) return 'ogg';
  if (ascii(head, 0, 'fLaC')) return 'flac';
  return undefined;
}
