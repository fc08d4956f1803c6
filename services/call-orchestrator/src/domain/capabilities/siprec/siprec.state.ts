// SIPREC's part of the call state: each recording session to an external SRS (RFC 7866) by siprec id, the
// SRSs it may try, the party legs it records (label "1" is the first) and where it stands. A session is
// requested (the driver is trying the SRSs in turn), then started (an SRS answered), paused and resumed,
// and ends stopped (by the API, the call's end or the SRS) or failed (no SRS answered); both are final.
import { callEvents } from '@callctl/proto';
import type { Leg } from '../../call.state';
import { remember } from '../../idempotency';
import type { Evolver } from '../capability';
import { isParty } from '../legs/roles';

export type SiprecStatus = 'requested' | 'started' | 'paused' | 'stopped' | 'failed';

export type Siprec = {
  readonly siprecId: string;
  readonly status: SiprecStatus;
  /** Tried in this order (failover). */
  readonly srsUris: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  /** The recorded party legs, in label order. */
  readonly legIds: readonly string[];
  /** SRSs that did not answer so far: the attempt being made is the next one. */
  readonly attemptsFailed: number;
  /** The SRS that answered, and its recording session's SIP Call-ID ('' before). */
  readonly srsUri: string;
  readonly sipCallId: string;
};
export type SiprecState = { readonly siprecs: Readonly<Record<string, Siprec>> };

/** Requested, started or paused: what StopSiprec, the call's end or the SRS's BYE ends. */
export const isRunning = (r: Siprec): boolean =>
  r.status === 'requested' || r.status === 'started' || r.status === 'paused';

/** `srec-` and 32 hex digits, from the command's new id (a UUID: derived from the idempotency key, or random). */
export const siprecIdOf = (newId: string): string => `srec-${newId.replace(/-/g, '').toLowerCase()}`;

/** The attempt being made (or that succeeded): 1 for the first SRS. */
export const attemptOf = (r: Siprec): number => r.attemptsFailed + 1;

/** sip-edge's recording session of an attempt: the siprec id and the attempt number. */
export const sessionIdOf = (siprecId: string, attempt: number): string => `${siprecId}-${attempt}`;
/** The session of the attempt being made, or of the one that answered. */
export const currentSessionId = (r: Siprec): string => sessionIdOf(r.siprecId, attemptOf(r));

/** The media-worker's fork of the session: one per siprec, replaced on every new offer. */
export const forkIdOf = (siprecId: string): string => `siprec-${siprecId}`;

/** The parties recorded now: the answered party legs, in the order they were created. */
export const recordedLegs = (s: { readonly legs: Readonly<Record<string, Leg>> }): Leg[] =>
  Object.values(s.legs).filter((l) => l.status === 'answered' && isParty(l));

/** What a StartSiprec asked for, as a retry under the same key must ask again. */
export const siprecFingerprint = (d: {
  srsUris: readonly string[];
  headers: Readonly<Record<string, string>>;
}): string =>
  `siprec|${d.srsUris.join(' ')}|${Object.entries(d.headers)
    .map(([k, v]) => `${k.toLowerCase()}=${v}`)
    .sort()
    .join('&')}`;

const withSiprec = (
  s: Parameters<Evolver<'SiprecPaused'>>[0],
  siprecId: string,
  change: (r: Siprec) => Siprec,
) => {
  const r = s.siprecs[siprecId];
  return r ? { ...s, siprecs: { ...s.siprecs, [siprecId]: change(r) } } : s;
};

const siprecRequested: Evolver<'SiprecRequested'> = (s, { data: d }) => ({
  ...s,
  siprecs: {
    ...s.siprecs,
    [d.siprecId]: {
      siprecId: d.siprecId,
      status: 'requested',
      srsUris: d.srsUris,
      headers: d.headers,
      legIds: d.legIds,
      attemptsFailed: 0,
      srsUri: '',
      sipCallId: '',
    },
  },
  idempotency: remember(s.idempotency, d.idempotencyKey, siprecFingerprint(d), d.siprecId),
});

export const siprecEvolve = {
  SiprecRequested: siprecRequested,
  SiprecAttemptFailed: ((s, e) =>
    withSiprec(s, e.data.siprecId, (r) => ({
      ...r,
      attemptsFailed: r.attemptsFailed + 1,
    }))) as Evolver<'SiprecAttemptFailed'>,
  SiprecStarted: ((s, { data: d }) =>
    withSiprec(s, d.siprecId, (r) => ({
      ...r,
      status: 'started',
      srsUri: d.srsUri,
      sipCallId: d.sipCallId,
    }))) as Evolver<'SiprecStarted'>,
  SiprecPaused: ((s, e) =>
    withSiprec(s, e.data.siprecId, (r) => ({ ...r, status: 'paused' }))) as Evolver<'SiprecPaused'>,
  SiprecResumed: ((s, e) =>
    withSiprec(s, e.data.siprecId, (r) => ({ ...r, status: 'started' }))) as Evolver<'SiprecResumed'>,
  SiprecUpdated: ((s, e) =>
    withSiprec(s, e.data.siprecId, (r) => ({ ...r, legIds: e.data.legIds }))) as Evolver<'SiprecUpdated'>,
  SiprecStopped: ((s, e) =>
    withSiprec(s, e.data.siprecId, (r) => ({ ...r, status: 'stopped' }))) as Evolver<'SiprecStopped'>,
  SiprecFailed: ((s, e) =>
    withSiprec(s, e.data.siprecId, (r) => ({ ...r, status: 'failed' }))) as Evolver<'SiprecFailed'>,
};

export const { SiprecStopReason } = callEvents;
