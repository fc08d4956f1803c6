// What the platform's spans are called and which attributes they carry, in one place: the messaging
// semantic conventions for NATS (which has no value of its own in MESSAGING_SYSTEM_VALUE_*, hence "nats"),
// and the platform's own attributes. Builders for inSpan/openSpan's `describe`, so none of this is built
// while spans are off.
import type { Attributes } from '@opentelemetry/api';
import { SpanKind, type SpanSpec } from './spans.js';

/** Attribute names (semantic conventions 1.45, messaging and server; `callctl.*` are the platform's). */
export const ATTR = {
  messagingSystem: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destinationName: 'messaging.destination.name',
  destinationTemplate: 'messaging.destination.template',
  messageId: 'messaging.message.id',
  bodySize: 'messaging.message.body.size',
  consumerGroup: 'messaging.consumer.group.name',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  callId: 'callctl.call.id',
  legId: 'callctl.leg.id',
  command: 'callctl.command',
  eventCount: 'callctl.events.count',
  streamVersion: 'callctl.stream.version',
  sipMethod: 'sip.method',
  sipCallId: 'sip.call_id',
  sipStatus: 'sip.status_code',
  /** The ng protocol's call-id: a media session of the media-worker. */
  rtpengineCallId: 'rtpengine.call_id',
} as const;

export const MESSAGING_SYSTEM = 'nats';

export interface MessageSpec {
  /** The subject. */
  destination: string;
  /** The subject with its variable tokens as wildcards (`facts.sip.*`): the span name's low-cardinality part. */
  template: string;
  messageId?: string;
  bodySize?: number;
}

function messaging(type: 'send' | 'process', m: MessageSpec): Attributes {
  return {
    [ATTR.messagingSystem]: MESSAGING_SYSTEM,
    [ATTR.operationType]: type,
    [ATTR.operationName]: type,
    [ATTR.destinationName]: m.destination,
    [ATTR.destinationTemplate]: m.template,
    ...(m.messageId !== undefined ? { [ATTR.messageId]: m.messageId } : {}),
    ...(m.bodySize !== undefined ? { [ATTR.bodySize]: m.bodySize } : {}),
  };
}

/** A publish (PRODUCER `send <template>`), child of the trace the message carries (`parent`). */
export function producerSpan(m: MessageSpec & { parent?: string }): SpanSpec {
  return {
    name: `send ${m.template}`,
    kind: SpanKind.PRODUCER,
    attributes: messaging('send', m),
    ...(m.parent ? { parent: m.parent } : {}),
  };
}

/**
 * The handling of a delivered message (CONSUMER `process <template>`): linked to its producer, as the
 * conventions ask of consumption that may be late or batched, and also its child, so that a call's trace
 * goes on through what its facts cause.
 */
export function consumerSpan(m: MessageSpec & { producer?: string; consumerGroup?: string }): SpanSpec {
  return {
    name: `process ${m.template}`,
    kind: SpanKind.CONSUMER,
    attributes: {
      ...messaging('process', m),
      ...(m.consumerGroup ? { [ATTR.consumerGroup]: m.consumerGroup } : {}),
    },
    // A message without a trace starts one, rather than joining whatever work happens to be in hand.
    ...(m.producer ? { parent: m.producer, links: [m.producer] } : { root: true }),
  };
}

/** A request to a peer that has no instrumentation (the SIP engine, rtpengine): CLIENT `<name>`. */
export function clientSpan(name: string, attributes: Attributes): SpanSpec {
  return { name, kind: SpanKind.CLIENT, attributes };
}
