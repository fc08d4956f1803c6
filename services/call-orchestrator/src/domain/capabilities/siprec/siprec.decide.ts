// SIPREC (RFC 7866): the call recorded by an external Session Recording Server, the platform being the
// recording client. StartSiprec only decides SiprecRequested; the SIPREC driver (app/process-managers/
// siprec-driver.ts) then offers the fork, INVITEs the SRSs in order and reports each outcome with a Record*
// command whose decision is the event. Pause, resume and stop act on the wire around their decisions
// (app/capabilities/siprec.effects.ts).
//
// Decisions (README "SIPREC"):
// - One running SIPREC session per call (requested, started or paused): another StartSiprec is
//   FAILED_PRECONDITION naming it. It records the answered parties (label i+1 for the i-th).
// - The SRS never touches the call: its failures and its BYE end the SIPREC session only.
// - A driver's report about an attempt that is not the current one, or a session that has ended, records
//   nothing (a repeat, or a report overtaken by a stop or the call's end).
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { Active, Cmd, Decision } from '../../call.guards';
import { sameRequest } from '../../idempotency';
import { IdempotencyConflictError, IllegalStateError, NotFoundError, ValidationError } from '../../errors';
import type { Started } from '../capability';
import {
  attemptOf,
  currentSessionId,
  isRunning,
  recordedLegs,
  siprecFingerprint,
  siprecIdOf,
  type Siprec,
} from './siprec.state';

const { SiprecStopReason } = callEvents;
const none: Decision = { events: [] };

/** proto StartSiprecRequest: 1 to 5 SRS URIs, up to 5 headers. */
export const MAX_SRS_URIS = 5;
export const MAX_SIPREC_HEADERS = 5;

const base = (s: Started, r: Siprec) => ({
  callId: s.callId,
  siprecId: r.siprecId,
  clientState: s.clientState,
});

export function startSiprec(s: Active, c: Cmd<'StartSiprec'>): Decision {
  const where = { callId: s.callId };
  const { srsUris, headers } = c.data;
  if (srsUris.length < 1 || srsUris.length > MAX_SRS_URIS)
    throw new ValidationError(`srs_uris must hold 1 to ${MAX_SRS_URIS} URIs, got ${srsUris.length}`, where);
  if (Object.keys(headers).length > MAX_SIPREC_HEADERS)
    throw new ValidationError(
      `at most ${MAX_SIPREC_HEADERS} headers, got ${Object.keys(headers).length}`,
      where,
    );
  const key = c.metadata.idempotencyKey;
  const seen = key ? s.idempotency[key] : undefined;
  if (seen) {
    if (!sameRequest(seen, siprecFingerprint(c.data)))
      throw new IdempotencyConflictError(`idempotency key ${key} was used for a different request`, where);
    return { events: [], resultId: seen.resultId };
  }
  const legs = recordedLegs(s);
  if (legs.length === 0)
    throw new IllegalStateError(`call ${s.callId} has no answered party to record`, where);
  const running = Object.values(s.siprecs).find(isRunning);
  if (running)
    throw new IllegalStateError(`call ${s.callId} is already recorded by SIPREC ${running.siprecId}`, where);
  const siprecId = siprecIdOf(c.metadata.newId);
  return {
    events: [
      {
        type: 'SiprecRequested',
        data: {
          callId: s.callId,
          siprecId,
          srsUris: [...srsUris],
          headers: { ...headers },
          legIds: legs.map((l) => l.legId),
          idempotencyKey: key ?? '',
          clientState: c.data.clientState || s.clientState,
        },
      },
    ],
    resultId: siprecId,
  };
}

export function siprecOf(s: Started, siprecId: string): Siprec {
  if (!siprecId) throw new ValidationError('siprec_id is required', { callId: s.callId });
  const r = s.siprecs[siprecId];
  if (!r)
    throw new NotFoundError(`SIPREC session ${siprecId} does not exist in call ${s.callId}`, {
      callId: s.callId,
    });
  return r;
}

/** Pausing a paused session is OK; one that has not started (or has ended) cannot pause. */
export function pauseSiprec(s: Active, c: Cmd<'PauseSiprec'>): Decision {
  const r = siprecOf(s, c.data.siprecId);
  if (r.status === 'paused') return none;
  if (r.status !== 'started')
    throw new IllegalStateError(`SIPREC session ${r.siprecId} is ${r.status}; only a started one can pause`, {
      callId: s.callId,
    });
  return { events: [{ type: 'SiprecPaused', data: base(s, r) }] };
}

/**
 * Resuming one that is not paused is OK. The parties recorded from now on are those answered now: a roster
 * that changed during the pause is recorded as SiprecUpdated with the resume.
 */
export function resumeSiprec(s: Active, c: Cmd<'ResumeSiprec'>): Decision {
  const r = siprecOf(s, c.data.siprecId);
  if (r.status === 'started') return none;
  if (r.status !== 'paused')
    throw new IllegalStateError(`SIPREC session ${r.siprecId} is ${r.status}; only a paused one can resume`, {
      callId: s.callId,
    });
  const events: CallEvent[] = [{ type: 'SiprecResumed', data: base(s, r) }];
  const legIds = recordedLegs(s).map((l) => l.legId);
  if (legIds.length > 0 && legIds.join() !== r.legIds.join())
    events.push({ type: 'SiprecUpdated', data: { ...base(s, r), legIds } });
  return { events };
}

const stopped = (s: Started, r: Siprec, reason: callEvents.SiprecStopReason, sipStatus = 0): CallEvent => ({
  type: 'SiprecStopped',
  data: { ...base(s, r), reason, sipStatus },
});

/** Stopping one that has ended (or ended with its call) is OK and records nothing. */
export function stopSiprec(s: Started, c: Cmd<'StopSiprec'>): Decision {
  const r = siprecOf(s, c.data.siprecId);
  return isRunning(r) ? { events: [stopped(s, r, SiprecStopReason.SIPREC_STOP_REASON_REQUESTED)] } : none;
}

/** The session still trying the SRSs, on the attempt the report is about. */
const atAttempt = (s: Started, siprecId: string, attempt: number): Siprec | undefined => {
  const r = s.siprecs[siprecId];
  return r?.status === 'requested' && attemptOf(r) === attempt ? r : undefined;
};

export function recordSiprecAttemptFailed(s: Active, c: Cmd<'RecordSiprecAttemptFailed'>): Decision {
  const r = atAttempt(s, c.data.siprecId, c.data.attempt);
  if (!r) return none;
  const { srsUri, sipStatus, reason } = c.data;
  return { events: [{ type: 'SiprecAttemptFailed', data: { ...base(s, r), srsUri, sipStatus, reason } }] };
}

export function recordSiprecStarted(s: Active, c: Cmd<'RecordSiprecStarted'>): Decision {
  const r = atAttempt(s, c.data.siprecId, c.data.attempt);
  if (!r) return none;
  const { srsUri, sipCallId } = c.data;
  return { events: [{ type: 'SiprecStarted', data: { ...base(s, r), srsUri, sipCallId } }] };
}

export function recordSiprecFailed(s: Active, c: Cmd<'RecordSiprecFailed'>): Decision {
  const r = s.siprecs[c.data.siprecId];
  if (r?.status !== 'requested') return none;
  const { sipStatus, reason } = c.data;
  return { events: [{ type: 'SiprecFailed', data: { ...base(s, r), sipStatus, reason } }] };
}

/** A started session re-INVITEd with the parties of now (a paused one is updated by its resume). */
export function recordSiprecUpdated(s: Active, c: Cmd<'RecordSiprecUpdated'>): Decision {
  const r = s.siprecs[c.data.siprecId];
  if (r?.status !== 'started') return none;
  return { events: [{ type: 'SiprecUpdated', data: { ...base(s, r), legIds: [...c.data.legIds] } }] };
}

/** The siprec whose current recording session this is (sip-edge names sessions, not siprec ids). */
const ofSession = (s: Started, sessionId: string): Siprec | undefined =>
  Object.values(s.siprecs).find((r) => currentSessionId(r) === sessionId);

/** The SRS hung up (or its session broke): the SIPREC session ends, the call is never touched. */
export function recordSiprecSessionEnded(s: Active, c: Cmd<'RecordSiprecSessionEnded'>): Decision {
  const r = ofSession(s, c.data.sessionId);
  if (!r || !isRunning(r)) return none;
  return { events: [stopped(s, r, SiprecStopReason.SIPREC_STOP_REASON_SRS_ENDED, c.data.sipStatus)] };
}

/** Every running SIPREC session ends with the call (the effects send BYE and stop the fork). */
export const stopSiprecsOfCall = (s: Active): CallEvent[] =>
  Object.values(s.siprecs)
    .filter(isRunning)
    .map((r) => stopped(s, r, SiprecStopReason.SIPREC_STOP_REASON_CALL_ENDED));

/** Whether a report can never record anything on this call again: its session has ended. */
const ended = (r: Siprec | undefined): boolean => r !== undefined && !isRunning(r);
export const siprecSettled = {
  RecordSiprecAttemptFailed: (s: Started, c: Cmd<'RecordSiprecAttemptFailed'>) =>
    ended(s.siprecs[c.data.siprecId]),
  RecordSiprecStarted: (s: Started, c: Cmd<'RecordSiprecStarted'>) => ended(s.siprecs[c.data.siprecId]),
  RecordSiprecFailed: (s: Started, c: Cmd<'RecordSiprecFailed'>) => ended(s.siprecs[c.data.siprecId]),
  RecordSiprecSessionEnded: (s: Started, c: Cmd<'RecordSiprecSessionEnded'>) =>
    ended(ofSession(s, c.data.sessionId)),
};
