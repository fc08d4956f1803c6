import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import {
  CodecEndpoint,
  decodePayloads,
  encodeFrames,
  oggOpus,
  oggPackets,
  type RtpCodecName,
} from './codec-capture.js';
import { RtpEndpoint, toneRatio } from './rtp-endpoint.js';
import { startRtpengine, type RtpengineFixture } from './rtpengine.js';
import { makeToneFile } from './tone-file.js';
import { waitFor } from './wait-for.js';

const TONE_HZ = 1000;
/** Half a second in from the start: codec start-up (opus pre-skip, ADPCM adaptation) is left out. */
const SETTLED = 4000;

let dir: string;
let tone: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'codec-capture-'));
  tone = makeToneFile(dir, 'tone.wav', 1.5, TONE_HZ);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('codec capture: ffmpeg encodes a tone and the capture path decodes it back', () => {
  it.each(['PCMU', 'PCMA', 'G722', 'GSM', 'opus'] as const)('%s', async (codec) => {
    const frames = await encodeFrames(codec, tone);
    // 1.5 s in 20 ms frames (an encoder may hold back one at the end).
    expect(frames.length).toBeGreaterThanOrEqual(73);
    expect(frames.length).toBeLessThanOrEqual(76);
    const samples = (await decodePayloads(codec, frames)).slice(SETTLED);
    expect(samples.length).toBeGreaterThan(6000);
    expect(toneRatio(samples, TONE_HZ)).toBeGreaterThan(0.8);
    expect(toneRatio(samples, 1500)).toBeLessThan(0.05);
  });

  it('writes Ogg pages whose packets read back as written', () => {
    const packets = [Buffer.from([0xfc, 1, 2, 3]), Buffer.alloc(600, 7), Buffer.from([0xfc])];
    expect(oggPackets(oggOpus(packets)).slice(2)).toEqual(packets);
  });
});

// rtpengine's own encoders (G.729 through bcg729, which ffmpeg lacks) on one side, the capture on the other:
// a PCMU party offers and rtpengine transcodes towards a party that answers with the codec alone.
describe('codec capture: through rtpengine transcoding to and from PCMU', () => {
  let rtpengine: RtpengineFixture;
  beforeAll(async () => {
    rtpengine = await startRtpengine();
  });
  afterAll(async () => {
    await rtpengine?.stop();
  });

  it.each(['PCMA', 'G722', 'GSM', 'opus', 'G729'] as const)('%s', async (codec: RtpCodecName) => {
    const a = await RtpEndpoint.open();
    const b = await CodecEndpoint.open(codec);
    const callId = `capture-${codec}-${Date.now()}`;
    try {
      const offered = await ng(rtpengine.ngPort, {
        command: 'offer',
        'call-id': callId,
        'from-tag': 'a',
        sdp: a.sdp(),
        codec: { mask: ['PCMU'], transcode: [codec] },
      });
      const answered = await ng(rtpengine.ngPort, {
        command: 'answer',
        'call-id': callId,
        'from-tag': 'a',
        'to-tag': 'b',
        sdp: b.answer(offered),
      });
      a.useRemote(answered);
      a.startTone(TONE_HZ);
      await waitFor(`${codec} packets at b`, () => b.received.length >= 60, 10_000);
      const heard = (await b.decodeReceived()).slice(SETTLED);
      expect(toneRatio(heard, TONE_HZ)).toBeGreaterThan(0.5);
      a.stopTone();

      if (codec !== 'G729') {
        b.startAudio(await encodeFrames(codec, tone));
        await waitFor('the tone back at a', () => a.recentToneRatio(TONE_HZ) > 0.5, 10_000);
        b.stopAudio();
      }
    } finally {
      await ng(rtpengine.ngPort, { command: 'delete', 'call-id': callId }).catch(() => undefined);
      await a.close();
      await b.close();
    }
  });
});

type Bencodable = string | number | Bencodable[] | { [key: string]: Bencodable };

function bencode(value: Bencodable): string {
  if (typeof value === 'number') return `i${value}e`;
  if (typeof value === 'string') return `${Buffer.byteLength(value)}:${value}`;
  if (Array.isArray(value)) return `l${value.map(bencode).join('')}e`;
  const keys = Object.keys(value).sort();
  return `d${keys.map((k) => bencode(k) + bencode(value[k]!)).join('')}e`;
}

/** One ng command over UDP; resolves with the reply's SDP (or '' for a reply without one). */
function ng(port: number, message: Record<string, Bencodable>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const cookie = `c${Math.random().toString(36).slice(2, 10)}`;
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no ng reply to ${String(message.command)}`));
    }, 3000);
    socket.on('message', (reply) => {
      const text = reply.toString();
      if (!text.startsWith(`${cookie} `)) return;
      clearTimeout(timer);
      socket.close();
      if (!text.includes('6:result2:ok')) return reject(new Error(`ng ${String(message.command)}: ${text}`));
      const at = text.indexOf('3:sdp');
      if (at < 0) return resolve('');
      const colon = text.indexOf(':', at + 5);
      const length = Number(text.slice(at + 5, colon));
      resolve(text.slice(colon + 1, colon + 1 + length));
    });
    socket.send(`${cookie} ${bencode(message)}`, port, '127.0.0.1');
  });
}
