import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { traceContextOf, tracedHeaders } from './trace-headers.js';

/** The ts-proto functions a typed message needs. */
export interface ProtoCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

export interface BusMessage<T> {
  subject: string;
  data: T;
  headers: MsgHdrs | undefined;
  /** Trace context from the message's headers: parent the handler's span on it. */
  traceContext: ReturnType<typeof traceContextOf>;
  /** Set for requests. */
  reply: string | undefined;
  raw: Msg;
}

/** Publishes a protobuf message with the active trace context in its headers. */
export function publishMessage<T>(
  nc: NatsConnection,
  subject: string,
  codec: ProtoCodec<T>,
  message: T,
  headers?: MsgHdrs,
): void {
  nc.publish(subject, codec.encode(message).finish(), { headers: tracedHeaders(headers) });
}

export interface RequestOptions {
  /** The request fails with a TimeoutError after this long. Required: every outbound call has one. */
  timeoutMs: number;
  headers?: MsgHdrs;
}

/** Request/reply with protobuf on both sides and a deadline. */
export async function requestMessage<Req, Res>(
  nc: NatsConnection,
  subject: string,
  requestCodec: ProtoCodec<Req>,
  request: Req,
  responseCodec: ProtoCodec<Res>,
  options: RequestOptions,
): Promise<Res> {
  const reply = await nc.request(subject, requestCodec.encode(request).finish(), {
    timeout: options.timeoutMs,
    headers: tracedHeaders(options.headers),
  });
  return responseCodec.decode(reply.data);
}

export interface TypedSubscription<T> extends AsyncIterable<BusMessage<T>> {
  close(): Promise<void>;
}

/** Subscribes and decodes each message; a message that does not decode is skipped (and counted). */
export function subscribeMessages<T>(
  nc: NatsConnection,
  subject: string,
  codec: ProtoCodec<T>,
  options: { queue?: string } = {},
): TypedSubscription<T> & { undecodable(): number } {
  const sub = nc.subscribe(subject, options.queue ? { queue: options.queue } : {});
  let undecodable = 0;
  async function* iterate(): AsyncGenerator<BusMessage<T>> {
    for await (const msg of sub) {
      let data: T;
      try {
        data = codec.decode(msg.data);
      } catch {
        undecodable += 1;
        continue;
      }
      yield {
        subject: msg.subject,
        data,
        headers: msg.headers,
        traceContext: traceContextOf(msg.headers),
        reply: msg.reply,
        raw: msg,
      };
    }
  }
  return {
    [Symbol.asyncIterator]: () => iterate(),
    close: async () => {
      // Leaving a for-await loop already unsubscribed.
      if (!sub.isClosed()) await sub.drain();
    },
    undecodable: () => undecodable,
  };
}

/** Answers a request with a protobuf message. */
export function respondMessage<T>(msg: BusMessage<unknown>, codec: ProtoCodec<T>, message: T): boolean {
  return msg.raw.respond(codec.encode(message).finish(), { headers: tracedHeaders(natsHeaders()) });
}
