import { callEvents } from '@callctl/proto';
import { isInbandDigit } from '../../domain/dtmf-sending.js';
import type { Logger } from '@callctl/logging';
import type { MediaEvents } from '../media-events.js';
import { PartyMap } from '../party-map.js';
import type { DtmfEventSource, InbandDtmfRecord, MediaRelay, StateTable } from '../ports.js';
import { keep, partyKey, recoverRecords, type PresenceOf } from '../worker-state.js';

export interface DtmfDetectionDeps {
  relay: MediaRelay;
  /** The relay's digit reports (RFC 4733 events always, tones where in-band detection is on). */
  source: DtmfEventSource;
  events: MediaEvents;
  /** Where the parties with in-band detection are recorded, for the next run of the worker. */
  state: StateTable<InbandDtmfRecord>;
  log: Logger;
}

/**
 * DTMF detection: every digit the relay reports becomes a DtmfReceived on the session it was seen on.
 * RFC 4733 digits are always reported; in-band (tone) detection costs transcoder CPU, so it is turned on per
 * party (start), and the parties it is on for are its state: a re-offer of such a party (echo on/off) may
 * renew its codec handling, so the detector is turned on again (renew).
 */
export class DtmfDetection {
  readonly name = 'dtmf-detection';
  private readonly inband = new PartyMap<InbandDtmfRecord>();

  constructor(private readonly deps: DtmfDetectionDeps) {}

  /** Starts taking the relay's reports; returns where the relay must send them. */
  listen(): Promise<{ address: string; port: number }> {
    return this.deps.source.start((report) => {
      const inband = this.inband.get(report.sessionId, report.tag);
      const method = isInbandDigit(inband !== undefined, inband?.telephoneEvent)
        ? callEvents.DtmfMethod.DTMF_METHOD_INBAND
        : callEvents.DtmfMethod.DTMF_METHOD_RFC4733;
      this.deps.log.info(
        { sessionId: report.sessionId, tag: report.tag, digit: report.digit, method },
        'DTMF received',
      );
      this.deps.events.emit(report.sessionId, {
        fact: {
          $case: 'dtmfReceived',
          dtmfReceived: {
            tag: report.tag,
            digit: report.digit,
            durationMs: report.durationMs,
            method,
          },
        },
      });
    });
  }

  /** Stops taking reports. */
  close(): Promise<void> {
    return this.deps.source.stop();
  }

  /**
   * Turns on in-band detection of the tones `tag` sends. `telephoneEvent`: whether the party's SDP
   * negotiated telephone-event (undefined: not known), which names the method of its digits.
   */
  async start(sessionId: string, tag: string, telephoneEvent?: boolean): Promise<void> {
    await this.deps.relay.detectInbandDtmf(sessionId, tag);
    this.track({ sessionId, tag, ...(telephoneEvent === undefined ? {} : { telephoneEvent }) });
  }

  /** Turns in-band detection of `tag` off again (the transcoder is left for the session's other needs). */
  async disable(sessionId: string, tag: string): Promise<void> {
    await this.deps.relay.stopInbandDtmf(sessionId, tag);
    this.stop(sessionId, tag);
  }

  /** A party whose detection is on; its record is written but not waited for (it only serves a restart). */
  track(record: InbandDtmfRecord): void {
    this.inband.set(record.sessionId, record.tag, record);
    const key = partyKey(record.sessionId, record.tag);
    void keep(this.deps.log, 'in-band DTMF', this.deps.state.put(key, record));
  }

  /** After a re-offer of `tag`: turns its in-band detection on again if it was on. */
  async renew(sessionId: string, tag: string): Promise<void> {
    if (this.inband.get(sessionId, tag)) await this.deps.relay.detectInbandDtmf(sessionId, tag);
  }

  /**
   * The session (or only `tag`'s branch) is gone, and its detector with it: nothing is sent to the relay.
   */
  stop(sessionId: string, tag?: string): void {
    for (const forgotten of tag === undefined ? [...this.inband.partiesOf(sessionId).keys()] : [tag]) {
      if (!this.inband.delete(sessionId, forgotten)) continue;
      void keep(this.deps.log, 'in-band DTMF end', this.deps.state.delete(partyKey(sessionId, forgotten)));
    }
  }

  /** Takes back the parties a previous run turned detection on for, in sessions the relay still has. */
  async recover(presenceOf: PresenceOf): Promise<{ kept: number; dropped: number }> {
    return recoverRecords(this.deps.state, presenceOf, this.deps.log, (record) => {
      this.inband.set(record.sessionId, record.tag, record);
    });
  }
}
