// Sending DTMF to a leg and turning in-band detection on or off. How the digits travel (RFC 4733 when the
// leg negotiated telephone-event, SIP INFO otherwise) is learnt by sending them: the effect amends
// DtmfSent's method with what was used (app/capabilities/digits.effects.ts), so decide records no guess.
import { callEvents } from '@callctl/proto';
import { answeredLeg, replay, type Active, type Cmd, type Decision } from '../../call.guards';
import { ValidationError } from '../../errors';
import { DTMF_KEYS } from './digits.decide';
import { dtmfSentFingerprint } from './digits.state';

/** proto SendDtmfRequest: 1-32 keys. */
export const MAX_SENT_DIGITS = 32;
/** proto SendDtmfRequest.duration_ms: 40-2000, 0 = 100. */
export const DEFAULT_DTMF_DURATION_MS = 100;
export const MIN_DTMF_DURATION_MS = 40;
export const MAX_DTMF_DURATION_MS = 2000;

/** Refuses digits that are not 1-32 DTMF keys, naming the first bad key. */
export function checkSentDigits(digits: string, durationMs: number): void {
  if (digits.length === 0 || digits.length > MAX_SENT_DIGITS)
    throw new ValidationError(`digits must be 1-${MAX_SENT_DIGITS} keys, got ${digits.length}`);
  const bad = [...digits].find((k) => !DTMF_KEYS.includes(k));
  if (bad !== undefined)
    throw new ValidationError(`digits may only hold ${DTMF_KEYS}; "${bad}" is not a DTMF key`);
  if (durationMs < MIN_DTMF_DURATION_MS || durationMs > MAX_DTMF_DURATION_MS)
    throw new ValidationError(
      `duration_ms must be ${MIN_DTMF_DURATION_MS}-${MAX_DTMF_DURATION_MS} (0 = ${DEFAULT_DTMF_DURATION_MS}), got ${durationMs}`,
    );
}

export function sendDtmf(s: Active, c: Cmd<'SendDtmf'>): Decision {
  const d = { ...c.data, durationMs: c.data.durationMs || DEFAULT_DTMF_DURATION_MS };
  checkSentDigits(d.digits, d.durationMs);
  const again = replay(s, c.metadata.idempotencyKey, dtmfSentFingerprint(d));
  if (again) return again;
  answeredLeg(s, d.legId, 'send DTMF');
  return {
    events: [
      {
        type: 'DtmfSent',
        data: {
          callId: s.callId,
          legId: d.legId,
          digits: d.digits,
          durationMs: d.durationMs,
          // Amended by the effect with the method it used; never recorded unset.
          method: callEvents.DtmfMethod.DTMF_METHOD_UNSPECIFIED,
          clientState: s.clientState,
          idempotencyKey: c.metadata.idempotencyKey ?? '',
        },
      },
    ],
  };
}

export function setDtmfDetection(s: Active, c: Cmd<'SetDtmfDetection'>): Decision {
  const l = answeredLeg(s, c.data.legId, 'detect in-band DTMF');
  if ((l.inbandDtmf ?? false) === c.data.inband) return { events: [] };
  return {
    events: [
      {
        type: 'DtmfDetectionChanged',
        data: { callId: s.callId, legId: l.legId, inband: c.data.inband, clientState: s.clientState },
      },
    ],
  };
}
