// The customers' WebSocket endpoints of the streams benchmark, in their own process so that their CPU is
// neither the gateway's nor the benchmark's: a ws:// server on loopback that every stream connects to, which
// reads every message and counts. `port=<n>` to listen on; prints `listening` when it does.
//
// On SIGUSR2 it prints one line `report <json>` with what it saw since the previous report (a window):
// - per stream: `media` frames, frames of a wrong size (not 160 bytes of PCMU), chunks missing within a
//   channel (the gateway sends silence for a lost RTP packet, so a missing chunk is a frame the platform
//   dropped: its buffer overflowed or it fell behind), gaps in the sequence numbers across all messages;
// - lateness: per channel, each frame's arrival less its `timestamp` (the channel's 20 ms timeline), less
//   the smallest such value of that channel in the window: how much later than its best a frame arrived
//   (queueing in the gateway, the socket or this process). p50, p99, max over every frame of every stream;
// - the events other than `media` by type, and `close` reasons.
// A stream whose path starts with /probe is watched for tone onsets: each `media` frame of it is decoded, and
// the first loud frame (RMS > 1000) after a quiet one (< 300) of a channel prints `onset <channel>
// <arrival ms since the epoch>` at once, for the benchmark to set against when the caller sent the tone.
import { decodeMulaw } from '@callctl/rtp';
import { WebSocketServer } from 'ws';

const port = Number(process.argv.find((a) => a.startsWith('port='))?.slice('port='.length) ?? 0);
const LOUD = 1000;
const QUIET = 300;

interface Channel {
  lastChunk: number;
  missing: number;
  /** arrival - timestamp of each frame in the window (ms). */
  offsets: number[];
  loud: boolean;
}
interface Stream {
  frames: number;
  wrongSize: number;
  sequenceGaps: number;
  lastSequence: number;
  channels: Map<string, Channel>;
}
const streams = new Map<string, Stream>();
const events = new Map<string, number>();
const closes = new Map<string, number>();
let connections = 0;
let open = 0;

const rms = (samples: Int16Array) => {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / samples.length);
};
const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
server.on('connection', (ws, request) => {
  connections++;
  open++;
  const probe = (request.url ?? '').startsWith('/probe');
  let stream: Stream | undefined;
  ws.on('message', (data: Buffer) => {
    const at = performance.timeOrigin + performance.now();
    const message = JSON.parse(data.toString('utf8')) as {
      event: string;
      sequenceNumber: number;
      streamId: string;
      media?: { channel: string; chunk: number; timestamp: number; payload: string };
      close?: { reason: string };
    };
    if (!stream) {
      stream = streams.get(message.streamId) ?? {
        frames: 0,
        wrongSize: 0,
        sequenceGaps: 0,
        lastSequence: message.sequenceNumber - 1,
        channels: new Map(),
      };
      streams.set(message.streamId, stream);
    }
    if (message.sequenceNumber !== stream.lastSequence + 1) stream.sequenceGaps++;
    stream.lastSequence = message.sequenceNumber;
    if (message.event !== 'media' || !message.media) {
      count(events, message.event);
      if (message.close) count(closes, message.close.reason);
      return;
    }
    const { channel: id, chunk, timestamp, payload } = message.media;
    let channel = stream.channels.get(id);
    if (!channel)
      stream.channels.set(id, (channel = { lastChunk: chunk - 1, missing: 0, offsets: [], loud: false }));
    if (chunk > channel.lastChunk + 1) channel.missing += chunk - channel.lastChunk - 1;
    channel.lastChunk = Math.max(channel.lastChunk, chunk);
    channel.offsets.push(at - timestamp);
    stream.frames++;
    const audio = Buffer.from(payload, 'base64');
    if (audio.length !== 160) stream.wrongSize++;
    if (probe) {
      const level = rms(decodeMulaw(audio));
      if (level > LOUD && !channel.loud) process.stdout.write(`onset ${id} ${at.toFixed(1)}\n`);
      if (level > LOUD) channel.loud = true;
      else if (level < QUIET) channel.loud = false;
    }
  });
  ws.on('close', () => open--);
});

const quantile = (sorted: Float64Array, q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;

process.on('SIGUSR2', () => {
  let frames = 0;
  let wrongSize = 0;
  let missing = 0;
  let sequenceGaps = 0;
  let channels = 0;
  const lateness: number[] = [];
  for (const stream of streams.values()) {
    frames += stream.frames;
    wrongSize += stream.wrongSize;
    sequenceGaps += stream.sequenceGaps;
    stream.frames = stream.wrongSize = stream.sequenceGaps = 0;
    for (const channel of stream.channels.values()) {
      channels++;
      missing += channel.missing;
      channel.missing = 0;
      const best = Math.min(...channel.offsets);
      for (const offset of channel.offsets) lateness.push(offset - best);
      channel.offsets = [];
    }
  }
  const sorted = Float64Array.from(lateness).sort();
  const report = {
    connections,
    open,
    streams: streams.size,
    channels,
    frames,
    wrongSize,
    missing,
    sequenceGaps,
    latenessMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: quantile(sorted, 1) },
    events: Object.fromEntries(events),
    closes: Object.fromEntries(closes),
  };
  events.clear();
  closes.clear();
  process.stdout.write(`report ${JSON.stringify(report)}\n`);
});

server.on('listening', () => process.stdout.write(`listening ${port}\n`));
