// What a test's RTP endpoint received, measured over windows of arrival time: packet counts, RFC 3550
// arrival jitter, the longest gap between packets, and when a tone appeared or went away packet by packet.
// Pure: it reads RtpEndpoint's `arrivals` and `received` and owns no socket.
import { toneRatio, type RtpArrival } from '@callctl/testing';

const RTP_CLOCK_PER_MS = 8; // PCMU

export interface WindowStats {
  packets: number;
  /** RFC 3550 §6.4.1 interarrival jitter at the end of the window, in ms (one SSRC at a time). */
  jitterMs: number;
  /** The highest that jitter was anywhere in the window: a disturbance that passed leaves it here. */
  maxJitterMs: number;
  /** The longest time between two packets arriving in the window, in ms. */
  maxGapMs: number;
  /** The SSRCs seen: a change says the packets came another way (a mixer's own stream). */
  ssrcs: number[];
}

/** The arrivals with `from <= at < to`. */
export const inWindow = (arrivals: readonly RtpArrival[], from: number, to: number): RtpArrival[] =>
  arrivals.filter((a) => a.at >= from && a.at < to);

export function windowStats(arrivals: readonly RtpArrival[], from: number, to: number): WindowStats {
  const packets = inWindow(arrivals, from, to);
  let jitter = 0;
  let maxJitterMs = 0;
  let maxGapMs = 0;
  for (let i = 1; i < packets.length; i++) {
    const [previous, current] = [packets[i - 1]!, packets[i]!];
    maxGapMs = Math.max(maxGapMs, current.at - previous.at);
    // A new SSRC restarts the timestamps: its first packet says nothing about transit time.
    if (current.ssrc !== previous.ssrc) continue;
    const transitChange =
      current.at - previous.at - ((current.timestamp - previous.timestamp) | 0) / RTP_CLOCK_PER_MS;
    jitter += (Math.abs(transitChange) - jitter) / 16;
    maxJitterMs = Math.max(maxJitterMs, jitter);
  }
  return {
    packets: packets.length,
    jitterMs: jitter,
    maxJitterMs,
    maxGapMs,
    ssrcs: [...new Set(packets.map((p) => p.ssrc))],
  };
}

export interface PacketTone {
  at: number;
  /** Share of the packet's power at the frequency (toneRatio over its own samples). */
  ratio: number;
}

/**
 * The share of `hz` in each packet received, with its arrival time: `received` holds the packets' samples
 * in arrival order, `arrivals[i].samples` of them for packet i.
 */
export function packetTones(
  endpoint: { arrivals: readonly RtpArrival[]; received: readonly number[] },
  hz: number,
): PacketTone[] {
  const tones: PacketTone[] = [];
  let offset = 0;
  for (const arrival of endpoint.arrivals) {
    const samples = endpoint.received.slice(offset, offset + arrival.samples);
    offset += arrival.samples;
    tones.push({ at: arrival.at, ratio: toneRatio(samples, hz) });
  }
  return tones;
}

/**
 * The arrival time of the first packet at or after `from` that starts a run of `run` packets all
 * satisfying `holds`: when a tone appeared (or went away) for good, not for one stray packet.
 */
export function firstRun(
  tones: readonly PacketTone[],
  from: number,
  holds: (ratio: number) => boolean,
  run = 5,
): number | undefined {
  for (let i = 0; i + run <= tones.length; i++) {
    if (tones[i]!.at < from) continue;
    if (tones.slice(i, i + run).every((t) => holds(t.ratio))) return tones[i]!.at;
  }
  return undefined;
}
