import { DTMF_EVENT_KEYS, RtpEndpoint } from '@callctl/testing';

/** Peak amplitude of each frequency of an in-band key (of 32767): a firm key press, well above any detector's floor. */
const TONE_PEAK_EACH = 6000;

/**
 * An RtpEndpoint as the DTMF tests use it: offers PCMU with or without telephone-event, sends silence every
 * 20 ms once it knows where to (so that media flows both ways), and reads the RFC 4733 events it receives as
 * keys.
 */
export class DtmfProbe {
  private constructor(private readonly endpoint: RtpEndpoint) {}

  static async open(options: { telephoneEvent: boolean }): Promise<DtmfProbe> {
    return new DtmfProbe(await RtpEndpoint.open(options));
  }

  /** RFC 4733 packets received (start, updates and end packets alike). */
  get events(): RtpEndpoint['receivedEvents'] {
    return this.endpoint.receivedEvents;
  }

  /** Audio (PCMU) packets received. */
  get audioPackets(): number {
    return this.endpoint.packetsReceived;
  }

  sdp(): string {
    return this.endpoint.sdp();
  }

  /** Starts sending µ-law silence (or the tone of sendTone) to the address in rtpengine's SDP for this party. */
  useRemote(sdp: string): void {
    this.endpoint.useRemote(sdp);
    this.endpoint.startTone(0);
  }

  /**
   * Sends the dual tone of `frequencies` (a DTMF key in-band, e.g. 697 + 1209 Hz for 1) for `ms`, then
   * silence again.
   */
  async sendTone(frequencies: readonly number[], ms: number): Promise<void> {
    this.endpoint.startTone(frequencies, TONE_PEAK_EACH * frequencies.length);
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.endpoint.startTone(0);
  }

  /**
   * The keys received, one per event as soon as any of its packets came (start, updates and end packets of
   * one event share a timestamp); RtpEndpoint.receivedDigits() waits for the end packets instead.
   */
  digits(): string[] {
    const seen = new Map<number, string>();
    for (const { timestamp, event } of this.events)
      if (!seen.has(timestamp)) seen.set(timestamp, DTMF_EVENT_KEYS[event] ?? `?${event}`);
    return [...seen.values()];
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }
}
