// What the real-phone harnesses (baresip.ts, linphone.ts) share: a phone's folder, ports and tone file, its
// process started and waited for, and what it heard.
//
// What a real phone heard: the WAV file it writes of its decoded audio (baresip's sndfile dump, linphone's
// `record`), read while the phone still writes it. Such a file's RIFF and data sizes are only set when the
// phone closes it, so this reader takes the fmt chunk from the header and every whole sample after the data
// chunk's header, whatever size the header claims; the file must be 16-bit PCM at 8 kHz (the phones are
// configured so), the rate toneRatio works at. linphone writes its 44-byte header as zeros until the end:
// such a file is read as samples after those 44 bytes (its calls are PCMU, so mono 8 kHz 16-bit).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  freePort,
  freePortBlock,
  makeToneFile,
  startProcess,
  toneRatio,
  waitFor,
  type ManagedProcess,
} from '@callctl/testing';

/** Seconds of tone in a phone's microphone file: longer than any test (both phones stop at its end). */
const TONE_SECONDS = 300;
/** The tone's peak as a share of full scale: about RtpEndpoint's (8000), so mixes hold each party alike. */
const TONE_VOLUME = 0.25;
const READY_TIMEOUT_MS = 10_000;

export interface PhoneOptions {
  /** A folder of the test's own; the phone's HOME, config and files go in `<dir>/<name>`. */
  dir: string;
  /** The SIP user part of its address. */
  name: string;
  /** The tone it sends in every call. */
  toneHz: number;
}

export interface PhoneFolder {
  root: string;
  home: string;
  /** The tone WAV (16-bit mono 8 kHz, sox) it sends as its microphone. */
  tone: string;
  sipPort: number;
  /** Its RTP port range. */
  rtp: { min: number; max: number };
}

/** The phone's folder (`<dir>/<name>`, with its own HOME), tone file and free ports. */
export async function phoneFolder(
  { dir, name, toneHz }: PhoneOptions,
  rtpPorts: number,
): Promise<PhoneFolder> {
  const root = join(dir, name);
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  const tone = makeToneFile(root, `tone-${toneHz}.wav`, TONE_SECONDS, toneHz, { volume: TONE_VOLUME });
  return { root, home, tone, sipPort: await freePort(), rtp: freePortBlock(rtpPorts) };
}

/** Starts the phone with HOME set to its own and waits until `listening`; killed, with its output, if not. */
export async function startPhoneProcess(
  what: string,
  binary: string,
  args: readonly string[],
  home: string,
  listening: () => boolean,
  stdin: 'ignore' | 'pipe' = 'ignore',
): Promise<ManagedProcess> {
  const proc = startProcess(binary, args, { env: { ...process.env, HOME: home }, stdin });
  try {
    await waitFor(
      `${what} listening`,
      () => {
        if (proc.child.exitCode !== null) throw new Error(`${what} exited:\n${proc.output()}`);
        return listening();
      },
      READY_TIMEOUT_MS,
      50,
    );
  } catch (error) {
    await proc.kill();
    throw new Error(`${what} did not start: ${String(error)}\n${proc.output().slice(-3000)}`);
  }
  return proc;
}

const RATE_HZ = 8000;
const PLACEHOLDER_HEADER_BYTES = 44;

/**
 * Every sample written so far as mono 8 kHz (the first channel of a multichannel or faster dump), or none
 * when the file does not exist or has no data yet. A dump whose header is still a placeholder is mono 8 kHz.
 */
export function samplesSoFar(path: string): Int16Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return new Int16Array(0);
  }
  if (
    bytes.length >= PLACEHOLDER_HEADER_BYTES &&
    bytes.subarray(0, PLACEHOLDER_HEADER_BYTES).every((b) => b === 0)
  )
    return int16(bytes.subarray(PLACEHOLDER_HEADER_BYTES));
  if (
    bytes.length < 12 ||
    bytes.toString('ascii', 0, 4) !== 'RIFF' ||
    bytes.toString('ascii', 8, 12) !== 'WAVE'
  )
    return new Int16Array(0);
  let offset = 12;
  let channels = 1;
  let rate = RATE_HZ;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      channels = bytes.readUInt16LE(offset + 10);
      rate = bytes.readUInt32LE(offset + 12);
      const bits = bytes.readUInt16LE(offset + 22);
      if (channels < 1 || rate % RATE_HZ !== 0 || bits !== 16)
        throw new Error(
          `${path}: ${channels} channel(s) at ${rate} Hz, ${bits} bits; expected 16-bit at a multiple of 8 kHz`,
        );
    }
    if (id === 'data') return firstChannelAt8k(int16(bytes.subarray(offset + 8)), channels, rate);
    offset += 8 + size + (size % 2);
  }
  return new Int16Array(0);
}

/**
 * The first channel, every (rate / 8 kHz)th sample: an opus call's dump is 48 kHz stereo. No low-pass
 * first: what the phones send and the platform relays is 8 kHz audio (PCMU on the far side), so there is
 * nothing above 4 kHz to fold back onto the tones.
 */
function firstChannelAt8k(samples: Int16Array, channels: number, rate: number): Int16Array {
  const step = channels * (rate / RATE_HZ);
  if (step === 1) return samples;
  const out = new Int16Array(Math.floor(samples.length / step));
  for (let i = 0; i < out.length; i++) out[i] = samples[i * step]!;
  return out;
}

/** Every whole little-endian 16-bit sample of `data`. */
function int16(data: Buffer): Int16Array {
  const samples = new Int16Array(Math.floor(data.length / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
  return samples;
}

/** Goertzel ratio of `hz` over the last `ms` of the file (0 when there is less than that yet). */
export function recentToneRatioOf(path: string, hz: number, ms = 1000): number {
  const samples = samplesSoFar(path);
  const n = (RATE_HZ * ms) / 1000;
  if (samples.length < n) return 0;
  return toneRatio(Array.from(samples.subarray(samples.length - n)), hz);
}
