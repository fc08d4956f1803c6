// One-line test builders of SIPREC: events and commands. Siprec ids come from the command's new id
// (siprecIdOf): newId 'S1' gives 'srec-s1'.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';

const { SiprecStopReason } = callEvents;
export { SiprecStopReason };

export const SRS1 = 'sip:srs1@127.0.0.1:5090';
export const SRS2 = 'sip:srs2@127.0.0.1:5091';

type Data<T extends CallEvent['type']> = Extract<CallEvent, { type: T }>['data'];

export const siprecRequested = (
  siprecId: string,
  legIds: string[],
  o: Partial<Data<'SiprecRequested'>> = {},
): CallEvent => ({
  type: 'SiprecRequested',
  data: { ...base, siprecId, srsUris: [SRS1, SRS2], headers: {}, legIds, idempotencyKey: '', ...o },
});
export const siprecAttemptFailed = (
  siprecId: string,
  srsUri = SRS1,
  sipStatus = 503,
  reason = 'SIP 503',
): CallEvent => ({
  type: 'SiprecAttemptFailed',
  data: { ...base, siprecId, srsUri, sipStatus, reason },
});
export const siprecStarted = (siprecId: string, srsUri = SRS1, sipCallId = 'rs-1'): CallEvent => ({
  type: 'SiprecStarted',
  data: { ...base, siprecId, srsUri, sipCallId },
});
export const siprecPaused = (siprecId: string): CallEvent => ({
  type: 'SiprecPaused',
  data: { ...base, siprecId },
});
export const siprecResumed = (siprecId: string): CallEvent => ({
  type: 'SiprecResumed',
  data: { ...base, siprecId },
});
export const siprecUpdated = (siprecId: string, legIds: string[]): CallEvent => ({
  type: 'SiprecUpdated',
  data: { ...base, siprecId, legIds },
});
export const siprecStopped = (
  siprecId: string,
  reason: callEvents.SiprecStopReason = SiprecStopReason.SIPREC_STOP_REASON_REQUESTED,
  sipStatus = 0,
): CallEvent => ({ type: 'SiprecStopped', data: { ...base, siprecId, reason, sipStatus } });
export const siprecFailed = (siprecId: string, sipStatus = 503, reason = 'no SRS answered'): CallEvent => ({
  type: 'SiprecFailed',
  data: { ...base, siprecId, sipStatus, reason },
});

export const startSiprec = (
  o: Partial<Extract<CallCommand, { type: 'StartSiprec' }>['data']> = {},
  newId = 'S1',
  key?: string,
): CallCommand => ({
  type: 'StartSiprec',
  data: { srsUris: [SRS1, SRS2], headers: {}, ...o },
  metadata: meta(newId, key),
});
const byId =
  <T extends 'PauseSiprec' | 'ResumeSiprec' | 'StopSiprec'>(type: T) =>
  (siprecId: string): CallCommand =>
    ({ type, data: { siprecId }, metadata: meta() }) as CallCommand;
export const pauseSiprec = byId('PauseSiprec');
export const resumeSiprec = byId('ResumeSiprec');
export const stopSiprec = byId('StopSiprec');

export const recordSiprecAttemptFailed = (
  siprecId: string,
  attempt: number,
  srsUri = SRS1,
  sipStatus = 503,
  reason = 'SIP 503',
): CallCommand => ({
  type: 'RecordSiprecAttemptFailed',
  data: { siprecId, attempt, srsUri, sipStatus, reason },
  metadata: meta(),
});
export const recordSiprecStarted = (
  siprecId: string,
  attempt: number,
  srsUri = SRS1,
  sipCallId = 'rs-1',
): CallCommand => ({
  type: 'RecordSiprecStarted',
  data: { siprecId, attempt, srsUri, sipCallId },
  metadata: meta(),
});
export const recordSiprecFailed = (
  siprecId: string,
  sipStatus = 503,
  reason = 'no SRS answered',
): CallCommand => ({
  type: 'RecordSiprecFailed',
  data: { siprecId, sipStatus, reason },
  metadata: meta(),
});
export const recordSiprecUpdated = (siprecId: string, legIds: string[]): CallCommand => ({
  type: 'RecordSiprecUpdated',
  data: { siprecId, legIds },
  metadata: meta(),
});
export const recordSiprecSessionEnded = (sessionId: string, sipStatus = 0, reason = 'BYE'): CallCommand => ({
  type: 'RecordSiprecSessionEnded',
  data: { sessionId, sipStatus, reason },
  metadata: meta(),
});
