import { callbackEvents, callEvents } from '@callctl/proto';

/** The ts-proto functions of one event message. */
export interface EventCodec<T = unknown> {
  /** Fully qualified proto name, e.g. callctl.events.v1.LegAnswered (goes into Content-Type). */
  protoName: string;
  fromJSON(json: unknown): T;
  toJSON(message: T): unknown;
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

/** Event type name (the proto message name, e.g. `LegAnswered`) -> codec. */
export type CodecRegistry = ReadonlyMap<string, EventCodec>;

interface MessageFnsLike {
  fromJSON(o: unknown): unknown;
  toJSON(m: never): unknown;
  encode(m: never): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
}

function isMessageFns(value: unknown): value is MessageFnsLike {
  const v = value as Partial<MessageFnsLike> | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.fromJSON === 'function' &&
    typeof v.toJSON === 'function' &&
    typeof v.encode === 'function' &&
    typeof v.decode === 'function'
  );
}

/**
 * Builds a registry from a generated ts-proto module: every exported message of the file becomes an
 * event type. New messages appended to the .proto are picked up without code here.
 */
export function codecsFromProtoModule(
  module: Record<string, unknown>,
  protoPackage: string,
): Map<string, EventCodec> {
  const registry = new Map<string, EventCodec>();
  for (const [name, value] of Object.entries(module)) {
    if (!/^[A-Z]/.test(name) || !isMessageFns(value)) continue;
    const fns = value;
    registry.set(name, {
      protoName: `${protoPackage}.${name}`,
      fromJSON: (json) => fns.fromJSON(json),
      toJSON: (message) => fns.toJSON(message as never),
      encode: (message) => fns.encode(message as never),
      decode: (bytes) => fns.decode(bytes),
    });
  }
  return registry;
}

/** The call events of proto/callctl/events/v1. */
export function callEventCodecs(): Map<string, EventCodec> {
  return codecsFromProtoModule(callEvents as unknown as Record<string, unknown>, callEvents.protobufPackage);
}

/** The callback events of proto/callctl/events/v1/callback_events.proto (the callback service's log). */
export function callbackEventCodecs(): Map<string, EventCodec> {
  return codecsFromProtoModule(
    callbackEvents as unknown as Record<string, unknown>,
    callbackEvents.protobufPackage,
  );
}
