import type { Logger } from '@callctl/logging';
import { ATTR, openSpan, runInTrace, SpanKind, workTraceparent, type OpenSpan } from '@callctl/telemetry';
import type { facts } from '@callctl/proto';
import type { CodecPolicy } from '../domain/codec-policy.js';
import type { MediaPlan } from '../domain/media-plan.js';
import type { FactIds } from '../domain/sip-facts.js';
import type { LegJournal } from './leg-journal.js';
import type { OutboundRouting } from './outbound-route.js';
import type { Leg, LegRegistry } from './leg-registry.js';
import type { FactSink, MediaPort } from './ports.js';
import type { SipStack } from './sip-stack.js';

export interface LegSettings {
  /** An inbound INVITE nobody answers or rejects within this long gets `defaultRejectStatus`. */
  answerTimeoutMs: number;
  /** @default 480 */
  defaultRejectStatus: number;
  /** Ring timeout of PlaceCall when the request gives 0. */
  defaultRingTimeoutMs: number;
  /** From of outbound INVITEs when PlaceCall gives none. */
  defaultFromUri: string;
  /** Allowed codecs, most preferred first: applied to every offer (through the media-worker client). */
  codecs: CodecPolicy;
  /**
   * Offer SDES-SRTP (RTP/SAVP with a=crypto) to outbound legs whose INVITE goes over TLS only
   * (SIP_TLS_OUTBOUND_SRTP). Off: plain RTP, which every phone takes; on, a phone without SRTP refuses the
   * call with 488.
   */
  sdesOverTls?: boolean;
}

/** What the leg modules share; built once in sip-edge.ts (STYLE 13). */
export interface LegContext {
  registry: LegRegistry;
  /** Durable record of live legs, so a restarted sip-edge can end them cleanly. */
  journal: LegJournal;
  facts: FactSink;
  media: MediaPort;
  /** Where each leg's media is, and which rtpengine sessions exist (the one owner of both). */
  plan: MediaPlan;
  sip: SipStack;
  log: Logger;
  newId(): string;
  settings: LegSettings;
  /** The dial plan for PlaceCall's targets; absent: every target is a SIP URI called as given. */
  routing?: OutboundRouting;
}

export function factIds(ctx: LegContext, leg: { callId: string; legId: string }): FactIds {
  return { factId: ctx.newId(), callId: leg.callId, legId: leg.legId };
}

/**
 * Publishes a fact about something already done on the SIP side, without making the SIP action wait for
 * it: the publisher keeps each call's facts in order and retries until its own deadline; a fact still not
 * stored then is logged as lost (the orchestrator can reconcile through ListLegs), because the SIP action
 * cannot be undone. Only InboundCallOffered is awaited (a call nobody heard of is refused instead).
 * The fact carries the trace of the work in hand (a command being carried out), else the leg's own (a
 * SIP event on the leg: the far end's 180, 200 or BYE).
 */
export function report(ctx: LegContext, leg: Leg, fact: facts.SipFact): void {
  runInTrace(workTraceparent() ?? leg.traceparent, () => ctx.facts.publish(fact)).catch((error: unknown) => {
    leg.log.error({ err: error, fact: fact.fact?.$case, factId: fact.factId }, 'fact not stored');
  });
}

/**
 * A SIP transaction of the leg as a span, `sip <METHOD>`: CLIENT for a request sip-edge sends through the
 * engine (ended with the final response's status), SERVER for one it receives. Under the work in hand, else
 * the leg's trace. A no-op while spans are off.
 */
export function sipSpan(leg: Leg, method: string, kind: SpanKind = SpanKind.CLIENT): OpenSpan {
  return openSpan(() => ({
    name: `sip ${method}`,
    kind,
    attributes: {
      [ATTR.sipMethod]: method,
      [ATTR.callId]: leg.callId,
      [ATTR.legId]: leg.legId,
      ...(leg.sipCallId ? { [ATTR.sipCallId]: leg.sipCallId } : {}),
    },
    ...(!workTraceparent() && leg.traceparent ? { parent: leg.traceparent } : {}),
  }));
}

/** Ends a sipSpan with the final response's status (a SIP failure's, or 200). */
export function endSipSpan(span: OpenSpan, status: number, error?: unknown): void {
  span.setAttributes({ [ATTR.sipStatus]: status });
  span.end(status >= 300 || (status === 0 && error !== undefined) ? (error ?? `SIP ${status}`) : undefined);
}
