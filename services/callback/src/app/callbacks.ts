// The core behind `Callbacks` (ports.ts): request checks, keys and claims, admission, the callback log, and the
// reactions of each callback (domain decide) to call events, cancels and the platform's answers, one at a time
// per callback. start() resolves once CallbackRequested is in the log; the call is placed afterwards.
import { randomUUID } from 'node:crypto';
import {
  isConcurrencyError,
  type CodecRegistry,
  type EventStore,
  type RecordedEvent,
} from '@callctl/eventstore';
import type { Logger } from '@callctl/logging';
import { callbackEvents, type callback } from '@callctl/proto';
import {
  createCall,
  decide,
  owedCommands,
  type CallbackCommand,
  type CallEventIn,
  type Trigger,
} from '../domain/callback.decide.js';
import { initialState, isOver, type CallbackEvent, type CallbackState } from '../domain/callback.state.js';
import { viewOf } from '../domain/callback.view.js';
import { Admission, type AdmissionLimits } from './admission.js';
import { DEFAULT_USER1_ANNOUNCEMENT, type Announcement, type AnnouncementResolver } from './announcements.js';
import { callbackIdOf, callbackStreamId, claimStreamId, judgeClaim, keyOf, requestDigest } from './claims.js';
import { callerUri, dial, type DialPlan } from './dial-plan.js';
import type { Effects } from './effects.js';
import { KeyedQueue } from '@callctl/service';
import type {
  CallbackOrigin,
  Callbacks,
  CallbackSpec,
  CallbackStats,
  IifResponses,
  ListQuery,
  RefusalReason,
  StartOutcome,
} from './ports.js';
import { CallbackProjection, foldRecorded } from './projection.js';
import { problemOf } from './request-checks.js';

export interface CallbacksOptions {
  store: EventStore;
  codecs: CodecRegistry;
  effects: Effects;
  dialPlan: DialPlan;
  defaultCaller: string;
  callerUriTemplate: string;
  announcements: AnnouncementResolver;
  /** An announcement id, or `none`. */
  user2FailedAnnouncement: string;
  ringTimeoutMs: number;
  maxDurationS: number;
  limits: AdmissionLimits;
  retransmissionWindowMs: number;
  /** Told of every IIF callback over and not settled; settable after construction (built later). */
  responses?: IifResponses;
  log: Logger;
  clock?: () => number;
}

export interface CallbackCore extends Callbacks {
  /** Reads the whole log; then re-drives what open callbacks are owed and owes unsettled IIF RESPONSEs. */
  load(): Promise<void>;
  /** Folds events read from the log by a subscription (other instances' appends, our own again). */
  applyLog(events: readonly RecordedEvent[]): void;
  /** A call event of one of our callbacks; resolves once the reaction is in the log (then it may be acked). */
  onCallEvent(callbackId: string, event: CallEventIn, recordedAt: Date): Promise<void>;
  /** The position of the log this instance has folded up to. */
  position(): number;
  setResponses(responses: IifResponses): void;
  /** Waits for the reactions and commands under way. */
  idle(): Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

const MAX_CLAIM_ATTEMPTS = 5;

export function createCallbacks(o: CallbacksOptions): CallbackCore {
  const clock = o.clock ?? Date.now;
  const projection = new CallbackProjection(o.codecs);
  const queue = new KeyedQueue();
  const admission = new Admission(o.limits);
  const counters = { admitted: 0, refusedConcurrency: 0, refusedRate: 0 };
  const inFlight = new Set<Promise<void>>();
  let responses = o.responses;
  const owed = new Set<string>();

  const newEvent = (
    e: CallbackEvent | { type: 'CallbackKeyClaimed'; data: callbackEvents.CallbackKeyClaimed },
  ) => ({ eventId: randomUUID(), type: e.type, data: e.data });

  async function readState(callbackId: string, from?: CallbackState): Promise<CallbackState | undefined> {
    const base = from ?? initialState(callbackId);
    const events = await o.store.readStream(callbackStreamId(callbackId), base.version + 1);
    const s = events.reduce((acc, e) => foldRecorded(acc, e, o.codecs), base);
    if (!s.request) return undefined;
    projection.put(s);
    return projection.get(callbackId);
  }

  async function stateFor(callbackId: string): Promise<CallbackState | undefined> {
    return projection.get(callbackId) ?? readState(callbackId);
  }

  function oweIfOver(s: CallbackState): void {
    const origin = s.request?.origin;
    if (
      !responses ||
      !isOver(s) ||
      s.settled ||
      origin?.kind !== callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_IIF
    )
      return;
    if (owed.has(s.callbackId)) return;
    owed.add(s.callbackId);
    responses.owe({
      callbackId: s.callbackId,
      iifId: origin.iifId,
      peerAddress: origin.peerAddress,
      realDurationS: s.ended?.realDurationS ?? 0,
    });
  }

  /** Sends commands without holding up the callback's queue; their answers come back as triggers. */
  function execute(callbackId: string, commands: readonly CallbackCommand[]): void {
    for (const command of commands) {
      const done = (async () => {
        const outcome = await o.effects.run(command);
        if (!outcome.ok)
          o.log.warn(
            { callbackId, command: command.type, code: outcome.code, err: outcome.message },
            'command refused',
          );
        if (command.type === 'Hangup' || command.type === 'BridgeLegs') return;
        await react(callbackId, { kind: 'result', command, outcome });
      })()
        .catch((error: unknown) =>
          o.log.error({ callbackId, command: command.type, err: error }, 'reaction to a command failed'),
        )
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    }
  }

  /** decide, append (re-deciding on a version conflict), fold, then send the commands. */
  function react(callbackId: string, trigger: Trigger): Promise<void> {
    return queue.run(callbackId, async () => {
      let s = await stateFor(callbackId);
      for (let attempt = 0; s; attempt++) {
        const d = decide(s, trigger, new Date(clock()));
        let next: CallbackState = { ...s, live: d.live };
        if (d.events.length > 0) {
          try {
            const appended = await o.store.append(
              callbackStreamId(callbackId),
              s.version,
              d.events.map(newEvent),
            );
            next = (appended.events ?? []).reduce((acc, e) => foldRecorded(acc, e, o.codecs), next);
          } catch (error) {
            if (!isConcurrencyError(error) || attempt >= MAX_CLAIM_ATTEMPTS) throw error;
            s = await readState(callbackId, s);
            continue;
          }
        }
        projection.put(next);
        oweIfOver(next);
        execute(callbackId, d.commands);
        return;
      }
    });
  }

  async function resolveAnnouncement(
    id: string | undefined,
    field: string,
  ): Promise<Announcement | undefined> {
    if (id === undefined) return undefined;
    let found: Announcement | undefined;
    try {
      found = await o.announcements.resolve(id);
    } catch (error) {
      o.log.warn({ err: error, announcementId: id }, 'media library not reachable');
      throw new Refusal('unavailable', `${field}: the media library is not reachable`);
    }
    if (!found) throw new Refusal('unknown-announcement', `${field}: no announcement ${id}`);
    return found;
  }

  async function user2Failed(): Promise<Announcement | undefined> {
    if (o.user2FailedAnnouncement === 'none') return undefined;
    try {
      return await o.announcements.resolve(o.user2FailedAnnouncement);
    } catch (error) {
      o.log.warn({ err: error }, 'user2-failed announcement not resolved; user1 is released without it');
      return undefined;
    }
  }

  /** Everything CallbackRequested says, resolved now (a restart plays the same). */
  async function requestOf(
    callbackId: string,
    spec: CallbackSpec,
    origin: CallbackOrigin,
    digest: string,
  ): Promise<callbackEvents.CallbackRequested> {
    const user1Uri = dial(o.dialPlan, spec.user1);
    if (!user1Uri) throw new Refusal('unknown-user', `user1: no dial plan rule for ${spec.user1}`);
    const user2Uri = dial(o.dialPlan, spec.user2);
    if (!user2Uri) throw new Refusal('unknown-user', `user2: no dial plan rule for ${spec.user2}`);
    const user1Announcement = await resolveAnnouncement(spec.annId1 ?? DEFAULT_USER1_ANNOUNCEMENT, 'ann_id1');
    const user2Announcement = await resolveAnnouncement(spec.annId2, 'ann_id2');
    return {
      callbackId,
      user1: spec.user1,
      user2: spec.user2,
      user1Uri,
      user2Uri,
      callerUri: callerUri(spec.caller ?? o.defaultCaller, o.callerUriTemplate),
      maxDurationS: spec.maxDurationS,
      user1Announcement,
      user2Announcement,
      user2Digits: spec.annDigits2 ?? '',
      user2FailedAnnouncement: await user2Failed(),
      origin:
        origin.kind === 'grpc'
          ? {
              kind: callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_GRPC,
              peerName: '',
              peerAddress: '',
              iifId: '',
            }
          : {
              kind: callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_IIF,
              peerName: origin.peerName,
              peerAddress: origin.peerAddress,
              iifId: origin.iifId,
            },
      idempotencyKey: origin.kind === 'grpc' ? origin.idempotencyKey : keyOf(origin),
      requestDigest: digest,
      ringTimeoutMs: o.ringTimeoutMs,
      clientState: spec.clientState ?? '',
    };
  }

  /** Appends CallbackRequested (once: the id is the claim's) and places the call. */
  async function createCallback(
    callbackId: string,
    request: callbackEvents.CallbackRequested,
  ): Promise<StartOutcome> {
    let s: CallbackState;
    try {
      const appended = await o.store.append(callbackStreamId(callbackId), 'no-stream', [
        newEvent({ type: 'CallbackRequested', data: request }),
      ]);
      s = (appended.events ?? []).reduce(
        (acc, e) => foldRecorded(acc, e, o.codecs),
        initialState(callbackId),
      );
      projection.put(s);
    } catch (error) {
      if (!isConcurrencyError(error)) throw error;
      // Another instance healed the same claim first: the same callback.
      const known = await readState(callbackId);
      if (!known) throw error;
      return { ok: true, view: viewOf(known), created: false };
    }
    counters.admitted++;
    execute(callbackId, [createCall(s)]);
    return { ok: true, view: viewOf(s), created: true };
  }

  function admit(): void {
    const verdict = admission.admit(projection.active(), clock());
    if (verdict === 'concurrency') {
      counters.refusedConcurrency++;
      throw new Refusal('concurrency', `${o.limits.maxActive} callbacks in progress (CALLBACK_MAX_ACTIVE)`);
    }
    if (verdict === 'rate') {
      counters.refusedRate++;
      throw new Refusal(
        'rate',
        `more than ${o.limits.maxPerSecond} new callbacks per second (CALLBACK_MAX_PER_SECOND)`,
      );
    }
  }

  async function startChecked(spec: CallbackSpec, origin: CallbackOrigin): Promise<StartOutcome> {
    const key = keyOf(origin);
    const digest = requestDigest(spec);
    const claims = claimStreamId(key);
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      // Most keys are new: the first attempt claims without reading (expecting no claim stream), which keeps a
      // round trip to PostgreSQL off the ACK; a key already claimed fails that append and is read and judged.
      const optimistic = attempt === 0;
      const recorded = optimistic ? [] : await o.store.readStream(claims);
      const version = recorded.at(-1)?.streamVersion ?? 0;
      const last = recorded.at(-1);
      if (last) {
        const claim = callbackEvents.CallbackKeyClaimed.fromJSON(last.data);
        const claimed = await stateFor(claim.callbackId);
        if (!claimed) {
          // The claim was made and its request never recorded (a crash in between): record it now.
          if (claim.requestDigest !== digest)
            throw new Refusal('duplicate', 'idempotency key already used by another request');
          return createCallback(claim.callbackId, await requestOf(claim.callbackId, spec, origin, digest));
        }
        const verdict = judgeClaim(
          origin.kind,
          { digest: claim.requestDigest, over: isOver(claimed), overAtMs: claimed.overAt?.getTime() },
          digest,
          clock(),
          o.retransmissionWindowMs,
        );
        if (verdict === 'same') return { ok: true, view: viewOf(claimed), created: false };
        if (verdict === 'duplicate')
          throw new Refusal(
            'duplicate',
            origin.kind === 'grpc'
              ? 'idempotency_key: already used with other fields'
              : `id ${origin.iifId}: a callback with this id is in progress`,
          );
      }
      const callbackId = callbackIdOf(key, version + 1);
      const request = await requestOf(callbackId, spec, origin, digest);
      // Not admitted on the optimistic try: read first, since a replay is answered even at the caps.
      if (optimistic) {
        if (admission.admit(projection.active(), clock()) !== 'admitted') continue;
      } else admit();
      try {
        await o.store.append(claims, version === 0 ? 'no-stream' : version, [
          newEvent({ type: 'CallbackKeyClaimed', data: { key, callbackId, requestDigest: digest } }),
        ]);
      } catch (error) {
        admission.refund();
        if (isConcurrencyError(error)) continue; // claimed before or meanwhile: read and judge again
        throw error;
      }
      return createCallback(callbackId, request);
    }
    throw new Refusal('unavailable', 'the request key is contended; try again');
  }

  const core: CallbackCore = {
    async start(spec, origin) {
      const problem =
        problemOf(spec, o.maxDurationS) ??
        (origin.kind === 'grpc' && (origin.idempotencyKey.length < 1 || origin.idempotencyKey.length > 128)
          ? 'idempotency_key: required, 1-128 characters'
          : undefined);
      if (problem) return { ok: false, reason: 'invalid', message: problem };
      try {
        return await startChecked(spec, origin);
      } catch (error) {
        if (error instanceof Refusal) return { ok: false, reason: error.reason, message: error.message };
        o.log.error({ err: error }, 'callback not started');
        return { ok: false, reason: 'unavailable', message: 'the callback log is not available' };
      }
    },

    async get(callbackId) {
      const s = await stateFor(callbackId);
      return s ? viewOf(s) : undefined;
    },

    list(query: ListQuery): Promise<callback.ListCallbacksResponse> {
      const pageSize = Math.min(500, query.pageSize > 0 ? query.pageSize : 100);
      const after = decodeToken(query.pageToken);
      const sorted = [...projection.all()]
        .filter((s) => s.request && (!query.activeOnly || !isOver(s)))
        .map((s) => ({ s, at: s.requestedAt?.getTime() ?? 0 }))
        .sort((a, b) => b.at - a.at || (a.s.callbackId < b.s.callbackId ? 1 : -1))
        .filter(({ s, at }) => !after || at < after.at || (at === after.at && s.callbackId < after.id));
      const page = sorted.slice(0, pageSize);
      const lastOfPage = page.at(-1);
      return Promise.resolve({
        callbacks: page.map(({ s }) => viewOf(s)),
        nextPageToken:
          sorted.length > pageSize && lastOfPage ? encodeToken(lastOfPage.at, lastOfPage.s.callbackId) : '',
      });
    },

    async cancel(callbackId, reason) {
      const s = await stateFor(callbackId);
      if (!s) return 'not-found';
      if (isOver(s)) return 'over';
      await react(callbackId, { kind: 'cancel', reason });
      return 'cancelled';
    },

    settleResponse(callbackId, acknowledged, attempts) {
      return queue.run(callbackId, async () => {
        for (let attempt = 0; ; attempt++) {
          const s = await stateFor(callbackId);
          if (!s || s.settled) return;
          try {
            const appended = await o.store.append(callbackStreamId(callbackId), s.version, [
              newEvent({ type: 'CallbackResponseSettled', data: { callbackId, acknowledged, attempts } }),
            ]);
            projection.put((appended.events ?? []).reduce((acc, e) => foldRecorded(acc, e, o.codecs), s));
            return;
          } catch (error) {
            if (!isConcurrencyError(error) || attempt >= MAX_CLAIM_ATTEMPTS) throw error;
            await readState(callbackId, s);
          }
        }
      });
    },

    stats(): CallbackStats {
      return { active: projection.active(), ...counters };
    },

    async load() {
      for (;;) {
        const batch = await o.store.readAll(projection.position, 1000);
        if (batch.length === 0) break;
        projection.apply(batch);
      }
      const now = new Date(clock());
      for (const s of projection.all()) {
        oweIfOver(s);
        const commands = owedCommands(s, now);
        if (commands.length > 0) {
          o.log.info(
            { callbackId: s.callbackId, commands: commands.map((c) => c.type) },
            're-driving a callback',
          );
          execute(s.callbackId, commands);
        }
      }
    },

    // Another instance's ends are owed by that instance (or by whichever loads the log next).
    applyLog(events) {
      projection.apply(events);
    },

    async onCallEvent(callbackId, event, recordedAt) {
      await react(callbackId, { kind: 'call', event, recordedAt });
    },

    position: () => projection.position,

    setResponses(r) {
      responses = r;
      for (const s of projection.all()) oweIfOver(s);
    },

    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      await queue.idle();
    },
  };
  return core;
}

const encodeToken = (at: number, id: string) => Buffer.from(`${at}|${id}`).toString('base64url');

function decodeToken(token: string): { at: number; id: string } | undefined {
  if (!token) return undefined;
  const [at, id] = Buffer.from(token, 'base64url').toString().split('|');
  return at !== undefined && id !== undefined && /^\d+$/.test(at) ? { at: Number(at), id } : undefined;
}
