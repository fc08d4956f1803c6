// A loopback RTP party for any codec the platform allows (PCMU, PCMA, G.722, G.729, GSM, opus): it sends
// audio frames and RFC 4733 events in its codec, keeps the payloads it receives and decodes them with the
// real ffmpeg into 8 kHz samples for toneRatio. ffmpeg reads each codec from a raw container (-f mulaw,
// alaw, g722, gsm, g729) or, for opus, from an Ogg Opus stream written here (one packet per page).
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { requireBinary } from './binaries.js';
import { parseRtpPacket } from './rtp-packet.js';
import { RtpSender } from './rtp-sender.js';
import { loopbackAudioSdp, telephoneEventFormat } from './loopback-sdp.js';

export type RtpCodecName = 'PCMU' | 'PCMA' | 'G722' | 'G729' | 'GSM' | 'opus';

export interface RtpCodec {
  name: RtpCodecName;
  payloadType: number;
  /** The rtpmap value (G.722's RTP clock is 8000 although it samples at 16 kHz: RFC 3551). */
  rtpmap: string;
  fmtp?: string;
  /** RTP timestamp units per second: telephone-event uses the same clock. */
  clockRate: number;
  /** ffmpeg's raw input format; undefined for opus (Ogg). */
  rawFormat?: string;
}

export const RTP_CODECS: Readonly<Record<RtpCodecName, RtpCodec>> = {
  PCMU: { name: 'PCMU', payloadType: 0, rtpmap: 'PCMU/8000', clockRate: 8000, rawFormat: 'mulaw' },
  PCMA: { name: 'PCMA', payloadType: 8, rtpmap: 'PCMA/8000', clockRate: 8000, rawFormat: 'alaw' },
  G722: { name: 'G722', payloadType: 9, rtpmap: 'G722/8000', clockRate: 8000, rawFormat: 'g722' },
  G729: {
    name: 'G729',
    payloadType: 18,
    rtpmap: 'G729/8000',
    fmtp: 'annexb=no',
    clockRate: 8000,
    rawFormat: 'g729',
  },
  GSM: { name: 'GSM', payloadType: 3, rtpmap: 'GSM/8000', clockRate: 8000, rawFormat: 'gsm' },
  opus: {
    name: 'opus',
    payloadType: 111,
    rtpmap: 'opus/48000/2',
    fmtp: 'useinbandfec=1',
    clockRate: 48000,
  },
};

/** Sample rate of what decodePayloads returns (toneRatio's rate). */
export const DECODED_SAMPLE_RATE = 8000;
const EVENT_PT = 101;
const PACKET_MS = 20;
const FFMPEG_TIMEOUT_MS = 20_000;

/** Runs ffmpeg with `input` on stdin; resolves with its stdout. */
function ffmpeg(args: readonly string[], input?: Buffer): Promise<Buffer> {
  const binary = requireBinary('ffmpeg', 'ffmpeg');
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-hide_banner', '-loglevel', 'error', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), FFMPEG_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`ffmpeg ${args.join(' ')} exited ${String(code)}: ${err.slice(-2000)}`));
    });
    child.stdin.on('error', () => undefined); // ffmpeg may exit before reading everything
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/**
 * Decodes RTP payloads of `codec` (in order) with ffmpeg into mono 16-bit samples at 8 kHz. G.729 payloads
 * are whole 10-byte frames, so their concatenation is the raw stream; opus packets go into an Ogg file.
 */
export async function decodePayloads(codec: RtpCodecName, payloads: readonly Buffer[]): Promise<number[]> {
  if (payloads.length === 0) return [];
  const spec = RTP_CODECS[codec];
  const input = spec.rawFormat
    ? [
        '-f',
        spec.rawFormat,
        ...(spec.rawFormat === 'mulaw' || spec.rawFormat === 'alaw' ? ['-ar', '8000'] : []),
      ]
    : ['-f', 'ogg'];
  const data = spec.rawFormat ? Buffer.concat(payloads) : oggOpus(payloads);
  const pcm = await ffmpeg(
    [...input, '-i', 'pipe:0', '-f', 's16le', '-ac', '1', '-ar', String(DECODED_SAMPLE_RATE), 'pipe:1'],
    data,
  );
  const samples: number[] = [];
  for (let i = 0; i + 1 < pcm.length; i += 2) samples.push(pcm.readInt16LE(i));
  return samples;
}

/**
 * Encodes an audio file (anything ffmpeg reads) into 20 ms RTP payloads of `codec`. G.729 cannot be made:
 * ffmpeg has only its decoder.
 */
export async function encodeFrames(codec: RtpCodecName, file: string): Promise<Buffer[]> {
  const base = ['-i', file, '-ac', '1'];
  switch (codec) {
    case 'PCMU':
    case 'PCMA':
      return split(await ffmpeg([...base, '-ar', '8000', '-f', RTP_CODECS[codec].rawFormat!, 'pipe:1']), 160);
    case 'G722':
      return split(await ffmpeg([...base, '-ar', '16000', '-c:a', 'g722', '-f', 'g722', 'pipe:1']), 160);
    case 'GSM':
      return split(await ffmpeg([...base, '-ar', '8000', '-c:a', 'libgsm', '-f', 'gsm', 'pipe:1']), 33);
    case 'opus': {
      const ogg = await ffmpeg([
        ...base,
        '-ar',
        '48000',
        '-c:a',
        'libopus',
        '-b:a',
        '32k',
        '-frame_duration',
        String(PACKET_MS),
        '-f',
        'ogg',
        'pipe:1',
      ]);
      return oggPackets(ogg).slice(2); // OpusHead and OpusTags first
    }
    case 'G729':
      throw new Error('ffmpeg has no G.729 encoder: a G.729 endpoint can send events only');
  }
}

function split(data: Buffer, size: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at + size <= data.length; at += size) frames.push(data.subarray(at, at + size));
  return frames;
}

/** A loopback RTP party speaking one codec plus telephone-event at that codec's clock. */
export class CodecEndpoint {
  codec: RtpCodec;
  private eventPayloadType = EVENT_PT;
  private readonly sender: RtpSender;
  private audioTimer: NodeJS.Timeout | undefined;
  /** Payloads of the codec's payload type received, in arrival order. */
  readonly received: Buffer[] = [];
  /** Payload types seen, with how many packets each. */
  readonly payloadTypes = new Map<number, number>();
  /** When each packet of the codec's payload type arrived (Date.now()): gaps in what came. */
  readonly arrivals: number[] = [];

  private constructor(
    private readonly socket: Socket,
    codec: RtpCodecName,
  ) {
    this.codec = RTP_CODECS[codec];
    this.sender = new RtpSender(socket);
    socket.on('message', (message: Buffer) => this.onPacket(message));
  }

  static async open(codec: RtpCodecName): Promise<CodecEndpoint> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new CodecEndpoint(socket, codec);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** RTP timestamp units of one 20 ms packet. */
  get samplesPerPacket(): number {
    return (this.codec.clockRate * PACKET_MS) / 1000;
  }

  /** An SDP offering this codec alone and telephone-event at its clock. */
  sdp(withEvents = true): string {
    return loopbackAudioSdp(this.sender.ssrc, this.port, [
      this.codec,
      ...(withEvents ? [telephoneEventFormat(this.eventPayloadType, this.codec.clockRate)] : []),
    ]);
  }

  /**
   * Answers an offer that has this codec: takes the offer's payload type numbers (an answer must reuse
   * them) for the codec and its telephone-event, sends to the offerer, and returns the answer SDP.
   */
  answer(offer: string): string {
    const name = this.codec.rtpmap.split('/')[0]!.toLowerCase();
    const maps = [...offer.matchAll(/^a=rtpmap:(\d+) ([^\r\n]+)/gm)].map((m) => ({
      pt: Number(m[1]),
      rtpmap: m[2]!,
    }));
    const codec =
      maps.find((m) => m.rtpmap.split('/')[0]!.toLowerCase() === name) ??
      (/^m=audio \d+ \S+ (.*)$/m.exec(offer)?.[1]?.split(' ').includes(String(this.codec.payloadType))
        ? { pt: this.codec.payloadType }
        : undefined);
    if (!codec) throw new Error(`the offer has no ${this.codec.name}:\n${offer}`);
    const event = maps.find((m) => m.rtpmap.toLowerCase() === `telephone-event/${this.codec.clockRate}`);
    this.codec = { ...this.codec, payloadType: codec.pt };
    if (event) this.eventPayloadType = event.pt;
    this.useRemote(offer);
    return this.sdp(event !== undefined);
  }

  /** Where to send: the c= and m=audio of the far end's SDP. */
  useRemote(sdp: string): void {
    this.sender.useRemote(sdp);
  }

  /** Sends `frames` (20 ms payloads of the codec, e.g. from encodeFrames) in a loop until stopAudio(). */
  startAudio(frames: readonly Buffer[]): void {
    this.stopAudio();
    if (frames.length === 0) throw new Error('no frames to send');
    let next = 0;
    this.audioTimer = setInterval(() => {
      this.sender.sendMedia(this.codec.payloadType, frames[next++ % frames.length]!, this.samplesPerPacket);
    }, PACKET_MS);
  }

  stopAudio(): void {
    if (this.audioTimer) clearInterval(this.audioTimer);
    this.audioTimer = undefined;
  }

  /**
   * Sends one RFC 4733 event with durations in the codec's clock (48 kHz units for opus): a marker start
   * packet, updates every 20 ms, then three end packets.
   */
  async sendDigit(digit: string, durationMs = 160): Promise<void> {
    await this.sender.sendDigit(this.eventPayloadType, digit, durationMs, this.samplesPerPacket);
  }

  clearReceived(): void {
    this.received.length = 0;
    this.payloadTypes.clear();
    this.arrivals.length = 0;
  }

  /** What arrived so far in the codec, decoded by ffmpeg to 8 kHz samples. */
  decodeReceived(): Promise<number[]> {
    return decodePayloads(this.codec.name, this.received);
  }

  async close(): Promise<void> {
    this.stopAudio();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private onPacket(message: Buffer): void {
    const packet = parseRtpPacket(message);
    if (!packet) return;
    const { payloadType, payload } = packet;
    this.payloadTypes.set(payloadType, (this.payloadTypes.get(payloadType) ?? 0) + 1);
    if (payloadType === this.codec.payloadType && payload.length > 0) {
      this.received.push(Buffer.from(payload));
      this.arrivals.push(Date.now());
    }
  }
}

// --- Ogg Opus (RFC 7845) -------------------------------------------------------------------------------

/** The packets of an Ogg stream (one logical stream), in order. */
export function oggPackets(ogg: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  let partial: Buffer[] = [];
  let at = 0;
  while (at + 27 <= ogg.length) {
    if (ogg.toString('latin1', at, at + 4) !== 'OggS') throw new Error(`no Ogg page at byte ${at}`);
    const segments = ogg[at + 26]!;
    const lacing = ogg.subarray(at + 27, at + 27 + segments);
    let body = at + 27 + segments;
    for (const size of lacing) {
      partial.push(ogg.subarray(body, body + size));
      body += size;
      if (size < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    at = body;
  }
  return packets;
}

/** Samples at 48 kHz in one opus packet, from its TOC byte (RFC 6716 §3.1). */
function opusPacketSamples(packet: Buffer): number {
  const toc = packet[0] ?? 0;
  const config = toc >> 3;
  const frameMs =
    config < 12
      ? [10, 20, 40, 60][config % 4]!
      : config < 16
        ? [10, 20][config % 2]!
        : [2.5, 5, 10, 20][config % 4]!;
  const code = toc & 3;
  const frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  return frameMs * 48 * frames;
}

/** An Ogg Opus stream of opus packets: OpusHead, OpusTags, then one packet per page. */
export function oggOpus(packets: readonly Buffer[], channels = 2): Buffer {
  const serial = 0x63616c6c;
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = channels;
  head.writeUInt16LE(312, 10); // pre-skip: libopus's usual 6.5 ms
  head.writeUInt32LE(48000, 12); // original sample rate, informational
  head.writeInt16LE(0, 16); // output gain
  head[18] = 0; // channel mapping family 0 (mono or stereo)
  const vendor = Buffer.from('callctl-testing', 'latin1');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  tags.writeUInt32LE(0, 12 + vendor.length);
  const pages = [oggPage(head, 0x02, 0n, serial, 0), oggPage(tags, 0, 0n, serial, 1)];
  let granule = 0n;
  packets.forEach((packet, i) => {
    granule += BigInt(opusPacketSamples(packet));
    pages.push(oggPage(packet, i === packets.length - 1 ? 0x04 : 0, granule, serial, i + 2));
  });
  return Buffer.concat(pages);
}

function oggPage(packet: Buffer, flags: number, granule: bigint, serial: number, sequence: number): Buffer {
  const lacing: number[] = [];
  let left = packet.length;
  while (left >= 255) {
    lacing.push(255);
    left -= 255;
  }
  lacing.push(left);
  const header = Buffer.alloc(27 + lacing.length);
  header.write('OggS', 0, 'latin1');
  header[4] = 0;
  header[5] = flags;
  header.writeBigInt64LE(granule, 6);
  header.writeUInt32LE(serial, 14);
  header.writeUInt32LE(sequence, 18);
  header.writeUInt32LE(0, 22);
  header[26] = lacing.length;
  Buffer.from(lacing).copy(header, 27);
  const page = Buffer.concat([header, packet]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

const OGG_CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value 0, over the page with CRC zeroed. */
function oggCrc(page: Buffer): number {
  let crc = 0;
  for (const byte of page) crc = ((crc << 8) ^ OGG_CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}
