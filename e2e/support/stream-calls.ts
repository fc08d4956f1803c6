// What the media-stream tests (issue 18) share: a StartStream request with every field, the message-level
// checks of a stream as the receiver saw it (one sequence across all messages; each channel's chunks and
// timestamps 20 ms apart), a channel's tone, and the gateway's resident memory.
import { readFileSync } from 'node:fs';
import { type callControl, callEvents } from '@callctl/proto';
import {
  bodyOf,
  toneRatioAt,
  type MediaBody,
  type MediaFrame,
  type StreamMessage,
  type StreamReceiver,
} from './stream-receiver.js';

export const ENCODING = callEvents.StreamEncoding;
export const TRACKS = callEvents.StreamTracks;
export const STOP = callEvents.StreamStopReason;

/** A StartStream request with defaults for what a case does not set (per participant, PCMU 8 kHz). */
export function streamRequest(
  callId: string,
  url: string,
  more: Partial<callControl.StartStreamRequest> = {},
): callControl.StartStreamRequest {
  return {
    callId,
    legId: '',
    url,
    tracks: TRACKS.STREAM_TRACKS_PER_PARTICIPANT,
    encoding: ENCODING.STREAM_ENCODING_PCMU,
    sampleRate: 8000,
    bidirectional: false,
    customParameters: {},
    authorization: '',
    idempotencyKey: `stream-${callId}-${Math.random().toString(16).slice(2)}`,
    clientState: '',
    ...more,
  };
}

/** Sequence numbers that are not 1, 2, 3 … in arrival order over every message of the stream. */
export function sequenceProblems(messages: readonly StreamMessage[]): string[] {
  const problems: string[] = [];
  messages.forEach((m, i) => {
    if (m.sequenceNumber !== i + 1)
      problems.push(`#${i + 1} (${m.event}) has sequenceNumber ${m.sequenceNumber}`);
  });
  return problems.slice(0, 10);
}

/** Places where a run of messages (one connection's) does not go on by one: n, n+1, n+2 … */
export function sequenceBreaks(messages: readonly StreamMessage[]): string[] {
  const problems: string[] = [];
  for (let i = 1; i < messages.length; i++)
    if (messages[i]!.sequenceNumber !== messages[i - 1]!.sequenceNumber + 1)
      problems.push(
        `${messages[i - 1]!.sequenceNumber} → ${messages[i]!.sequenceNumber} (${messages[i]!.event})`,
      );
  return problems.slice(0, 10);
}

/**
 * A channel's timeline problems: chunks 1, 2, 3 … and timestamps 20 ms apart (the contract: a lost or late
 * packet is sent as silence, so the timeline has no holes while the party sends). The gateway takes a party
 * silent for 60 ms as one that stopped sending (hold) and starts its timeline again from the clock; the
 * parties' RTP is sent from the test's own process, so a jump is the test's doing (not a problem) when that
 * process's event loop stalled for 40 ms or more in the 500 ms before the frame arrived: `excused` says when.
 */
export function timelineProblems(
  media: readonly MediaFrame[],
  excused: (from: number, to: number) => boolean = () => false,
): string[] {
  const problems: string[] = [];
  media.forEach((m, i) => {
    if (m.chunk !== i + 1) problems.push(`frame ${i + 1} has chunk ${m.chunk}`);
    if (i === 0) return;
    const step = m.timestamp - media[i - 1]!.timestamp;
    if (step === 20) return;
    const jump = `frame ${i + 1}: timestamp ${media[i - 1]!.timestamp} → ${m.timestamp}`;
    if (step > 20 && step % 20 === 0 && excused(m.receivedAt - 500, m.receivedAt))
      console.log(`${jump}, after a stall of the test process that sends the RTP`);
    else problems.push(jump);
  });
  return problems.slice(0, 10);
}

/** Payload sizes seen on a channel (bytes, decoded), e.g. {160} for PCMU. */
export const payloadSizes = (media: readonly MediaBody[]) =>
  new Set(media.map((m) => Buffer.from(m.payload, 'base64').length));

/** Share of `hz` in a channel's last `frames` frames (1 s by default). */
export function channelTone(
  receiver: StreamReceiver,
  streamId: string,
  channel: string,
  format: { encoding: string; sampleRate: number },
  hz: number,
  frames = 50,
): number {
  return toneRatioAt(receiver.samples(streamId, channel, format.encoding, frames), hz, format.sampleRate);
}

/** The stream's `start` messages (one per connection), in order. */
export const startsOf = (receiver: StreamReceiver, streamId: string) =>
  receiver.messagesOf(streamId).filter((m) => m.event === 'start');

export const closeReason = (message: StreamMessage) => bodyOf<{ reason: string }>(message).reason;

/** VmRSS of a process in kB (/proc/<pid>/status). */
export function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  if (!line) throw new Error(`no VmRSS for ${pid}`);
  return Number(line.replace(/\D+/g, ''));
}
