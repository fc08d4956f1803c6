// What sip-edge and the media-worker observed (callctl.facts.v1), as Record* commands on the call. Ids
// that a fact makes the domain create (the inbound leg, a bridge on answer) derive from the fact: a
// redelivered fact decides the same thing.
import { callEvents, type facts } from '@callctl/proto';
import type { CallCommand, CommandMetadata, ReferPolicy } from '../domain/call.commands.js';
import type { CallState } from '../domain/call.state.js';
import { ValidationError } from '../domain/errors.js';
import {
  MEDIA_LOST_ACTIONS,
  type MediaLostAction,
} from '../domain/capabilities/media-loss/media-loss.decide.js';
import { originOf } from '../domain/capabilities/legs/legs.state.js';
import { FACT_SOURCES, type FactSource } from './fact-order.js';

export interface FactCommand {
  callId: string;
  factId: string;
  command: CallCommand;
  /** Where the fact stands among its source's facts of the call (fact-order.ts). */
  order: { source: FactSource; sequence: number; occurredAtMs: number; endsLeg: boolean };
}

const orderOf = (
  source: FactSource,
  fact: { sourceSequence: number; occurredAtMs: number },
  endsLeg = false,
): FactCommand['order'] => ({
  source,
  sequence: fact.sourceSequence,
  occurredAtMs: fact.occurredAtMs,
  endsLeg,
});

/** A phone's REFER is performed at once (REFER_POLICY=perform); ASK waits 10 s, then accepts. */
export const DEFAULT_REFER_POLICY: ReferPolicy = {
  ask: false,
  decisionTimeoutMs: 10_000,
  defaultAccept: true,
};

/**
 * `referPolicy`: what a phone's REFER does (REFER_POLICY, REFER_DECISION_TIMEOUT_MS, REFER_DEFAULT_DECISION).
 * `defaultMaxDurationMs`: the platform's limit, which an inbound call has from its offer (AnswerLeg may set
 * another; a call answered by sip-edge for a dialled leg keeps it).
 */
export function sipFactCommand(
  fact: facts.SipFact,
  now: number,
  newId: string,
  defaultMaxDurationMs = 0,
  referPolicy: ReferPolicy = DEFAULT_REFER_POLICY,
): FactCommand {
  const { callId, legId, factId } = fact;
  const metadata: CommandMetadata = { now, newId };
  const f = fact.fact;
  const base = { callId, factId, order: orderOf(FACT_SOURCES.sip, fact, f?.$case === 'legEnded') };
  if (!callId || !factId || !f)
    throw new ValidationError(`SIP fact ${factId || '(no id)'} lacks its call id or its fact`);
  // A SIPREC recording session is sip-edge's, not a leg: its end is the one SIP fact that names no leg.
  if (f.$case === 'recordingSessionEnded') {
    const { sessionId, sipStatus, reason } = f.recordingSessionEnded;
    return {
      ...base,
      command: { type: 'RecordSiprecSessionEnded', data: { sessionId, sipStatus, reason }, metadata },
    };
  }
  if (!legId) throw new ValidationError(`SIP fact ${factId} names no leg`, { callId });
  switch (f.$case) {
    case 'inboundCallOffered': {
      // sip-edge chose the leg id: the domain takes it as the new leg's id.
      const offered = f.inboundCallOffered;
      return {
        ...base,
        command: {
          type: 'RecordInboundCall',
          data: {
            callId,
            fromUri: offered.fromUri,
            toUri: offered.toUri,
            sipCallId: offered.sipCallId,
            clientState: '',
            maxDurationMs: defaultMaxDurationMs,
            ...(offered.media ? { media: offered.media } : {}),
            // A trunk's call, or a device's with where the dial plan routes it.
            ...originOf(offered),
          },
          metadata: { now, newId: legId },
        },
      };
    }
    case 'outboundLegSent':
      return {
        ...base,
        command: {
          type: 'RecordLegInitiated',
          data: {
            legId,
            sipCallId: f.outboundLegSent.sipCallId,
            ...(f.outboundLegSent.media ? { media: f.outboundLegSent.media } : {}),
            ...originOf({ trunk: f.outboundLegSent.trunk, user: f.outboundLegSent.user }),
          },
          metadata,
        },
      };
    case 'legProgress':
      return {
        ...base,
        command: {
          type: 'RecordLegRinging',
          data: { legId, earlyMedia: f.legProgress.earlyMedia },
          metadata,
        },
      };
    case 'legAnswered':
      return { ...base, command: { type: 'RecordLegAnswered', data: { legId }, metadata } };
    case 'legEnded':
      return {
        ...base,
        command: {
          type: 'RecordLegEnded',
          data: {
            legId,
            cause: f.legEnded.cause,
            sipStatus: f.legEnded.sipStatus,
            reason: f.legEnded.reason,
            ...(f.legEnded.receivedReason ? { receivedReason: f.legEnded.receivedReason } : {}),
          },
          metadata,
        },
      };
    case 'dtmfInfoReceived':
      return {
        ...base,
        command: {
          type: 'RecordDtmf',
          data: {
            legId,
            digit: f.dtmfInfoReceived.digit,
            method: callEvents.DtmfMethod.DTMF_METHOD_INFO,
            ...(f.dtmfInfoReceived.durationMs ? { durationMs: f.dtmfInfoReceived.durationMs } : {}),
          },
          metadata,
        },
      };
    case 'legsBridged':
      return {
        ...base,
        command: {
          type: 'RecordLegsBridged',
          data: {
            legAId: legId,
            legBId: f.legsBridged.otherLegId,
            bridgeId: f.legsBridged.bridgeId,
            idempotencyKey: f.legsBridged.idempotencyKey,
            ...(f.legsBridged.mediaSessionId ? { mediaSessionId: f.legsBridged.mediaSessionId } : {}),
          },
          metadata,
        },
      };
    case 'legHoldChanged':
      return {
        ...base,
        command: {
          type: 'RecordLegHoldChanged',
          data: { legId, held: f.legHoldChanged.held, direction: f.legHoldChanged.direction },
          metadata,
        },
      };
    case 'referReceived':
      // The transfer's id derives from the fact (metadata.newId): a redelivery decides the same transfer.
      return {
        ...base,
        command: {
          type: 'RecordReferReceived',
          data: {
            legId,
            referId: f.referReceived.referId,
            referTo: f.referReceived.referTo,
            referredBy: f.referReceived.referredBy,
            replacesCallId: f.referReceived.replacesCallId,
            replacesLegId: f.referReceived.replacesLegId,
            policy: referPolicy,
          },
          metadata,
        },
      };
    case 'referProgress':
      return {
        ...base,
        command: {
          type: 'RecordReferProgress',
          data: {
            transferId: f.referProgress.transferId,
            sipStatus: f.referProgress.sipStatus,
            reason: f.referProgress.reason,
            final: f.referProgress.final,
          },
          metadata,
        },
      };
    case 'legsUnbridged':
      return {
        ...base,
        command: {
          type: 'RecordLegsUnbridged',
          data: {
            legAId: legId,
            legBId: f.legsUnbridged.otherLegId,
            ...(f.legsUnbridged.mediaA ? { mediaA: f.legsUnbridged.mediaA } : {}),
            ...(f.legsUnbridged.mediaB ? { mediaB: f.legsUnbridged.mediaB } : {}),
          },
          metadata,
        },
      };
    case 'outboundAttemptFailed':
      return {
        ...base,
        command: {
          type: 'RecordLegAttemptFailed',
          data: { legId, ...f.outboundAttemptFailed },
          metadata,
        },
      };
  }
}

/**
 * `onMediaLost`: what a vanished media session does to its legs (MEDIA_LOST_ACTION).
 * @default 'hangup'
 */
export function mediaFactCommand(
  fact: facts.MediaFact,
  now: number,
  newId: string,
  onMediaLost: MediaLostAction = MEDIA_LOST_ACTIONS.hangup,
): FactCommand {
  const { callId, factId } = fact;
  const metadata: CommandMetadata = { now, newId };
  const order = orderOf(FACT_SOURCES.media, fact);
  const f = fact.fact;
  if (!callId || !factId || !f)
    throw new ValidationError(`media fact ${factId || '(no id)'} lacks its call id or its fact`);
  switch (f.$case) {
    case 'playbackFinished':
      return {
        callId,
        factId,
        order,
        command: {
          type: 'RecordPlaybackFinished',
          data: { playbackId: f.playbackFinished.playbackId, failed: f.playbackFinished.failed },
          metadata,
        },
      };
    case 'dtmfDetected': {
      // The worker names the party it heard the digit on, not a leg: the decider finds the leg whose media
      // that is. The tag stands in for the leg (it is the leg id sip-edge gave) when no leg matches.
      const { tag } = f.dtmfDetected;
      const legId = f.dtmfDetected.legId || tag;
      const party = tag ? { sessionId: fact.sessionId, tag } : undefined;
      return {
        callId,
        factId,
        order,
        command: {
          type: 'RecordDtmf',
          data: {
            legId,
            digit: f.dtmfDetected.digit,
            // Workers that predate the field said nothing: their digits were telephone-events.
            method: f.dtmfDetected.method || callEvents.DtmfMethod.DTMF_METHOD_RFC4733,
            ...(party ? { party } : {}),
            ...(f.dtmfDetected.durationMs ? { durationMs: f.dtmfDetected.durationMs } : {}),
          },
          metadata,
        },
      };
    }
    case 'mediaSessionLost': {
      const lost = f.mediaSessionLost;
      return {
        callId,
        factId,
        order,
        command: {
          type: 'RecordMediaSessionLost',
          data: {
            sessionId: lost.sessionId || fact.sessionId,
            tags: lost.tags,
            reason: lost.reason,
            action: onMediaLost,
          },
          metadata,
        },
      };
    }
    case 'mixerLost': {
      // The worker restored the party's direct path itself; the call's monitors end (MIXER_FAILED).
      const lost = f.mixerLost;
      return {
        callId,
        factId,
        order,
        command: {
          type: 'RecordMixerLost',
          data: { sessionId: lost.sessionId || fact.sessionId, tag: lost.tag, routeId: lost.routeId },
          metadata,
        },
      };
    }
  }
}

/** What the recording service did or saw by itself (callctl.facts.v1.RecordingFact). */
export function recordingFactCommand(fact: facts.RecordingFact, now: number, newId: string): FactCommand {
  const { callId, factId, recordingId } = fact;
  const metadata: CommandMetadata = { now, newId };
  const f = fact.fact;
  if (!callId || !factId || !f)
    throw new ValidationError(`recording fact ${factId || '(no id)'} lacks its call id or its fact`);
  if (!recordingId) throw new ValidationError(`recording fact ${factId} names no recording`, { callId });
  // Sequenced per recording by the service, so not comparable across a call's recordings (fact-order.ts).
  const order = orderOf(FACT_SOURCES.recording, { sourceSequence: 0, occurredAtMs: fact.occurredAtMs });
  const of = (command: CallCommand): FactCommand => ({ callId, factId, order, command });
  switch (f.$case) {
    case 'recorderStopped':
      return of({
        type: 'RecordRecorderStopped',
        data: { recordingId, reason: f.recorderStopped.reason },
        metadata,
      });
    case 'recordingPartSaved':
      return of({ type: 'RecordRecordingSaved', data: { recordingId, ...f.recordingPartSaved }, metadata });
    case 'recorderFailed':
      return of({
        type: 'RecordRecordingFailed',
        data: { recordingId, reason: f.recorderFailed.reason },
        metadata,
      });
  }
}

/** What the stream gateway saw on a stream by itself (callctl.facts.v1.StreamFact). */
export function streamFactCommand(fact: facts.StreamFact, now: number, newId: string): FactCommand {
  const { callId, factId, streamId } = fact;
  const metadata: CommandMetadata = { now, newId };
  const f = fact.fact;
  if (!callId || !factId || !f)
    throw new ValidationError(`stream fact ${factId || '(no id)'} lacks its call id or its fact`);
  if (!streamId) throw new ValidationError(`stream fact ${factId} names no stream`, { callId });
  // Sequenced per stream by the gateway, so not comparable across a call's streams (fact-order.ts).
  const order = orderOf(FACT_SOURCES.stream, { sourceSequence: 0, occurredAtMs: fact.occurredAtMs });
  const of = (command: CallCommand): FactCommand => ({ callId, factId, order, command });
  switch (f.$case) {
    case 'streamConnected':
      return of({
        type: 'RecordStreamConnected',
        data: { streamId, reconnects: f.streamConnected.reconnects },
        metadata,
      });
    case 'streamConnectionLost':
      return of({
        type: 'RecordStreamConnectionLost',
        data: { streamId, attempt: f.streamConnectionLost.attempt, reason: f.streamConnectionLost.reason },
        metadata,
      });
    case 'streamClosed':
      return of({ type: 'RecordStreamClosed', data: { streamId, ...f.streamClosed }, metadata });
    case 'streamOpenFailed':
      return of({
        type: 'RecordStreamOpenFailed',
        data: { streamId, reason: f.streamOpenFailed.reason },
        metadata,
      });
  }
}

/**
 * Whether a leg may still take digits that another source saw before the leg's end: a collection runs on
 * it, or the call's state is not known here. Only then does the end of the leg wait for them (fact-order.ts
 * crossSourceGraceMs); the end of any other leg is recorded at once.
 */
export function mayTakeDigits(state: CallState | undefined, legId: string): boolean {
  if (!state) return true;
  if (state.status !== 'active') return false;
  return Object.values(state.collects).some((c) => c.legId === legId && c.status === 'collecting');
}
