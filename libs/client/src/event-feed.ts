// A watch of a log (CallControl.WatchEvents, Callback.WatchCallbackEvents) as an async iterable (STYLE 14):
// stored events then live ones, resumed after a dropped connection from the last position received + 1, as
// the API documents.
import { status as GrpcStatus, type ClientReadableStream, type Metadata } from '@grpc/grpc-js';
import type { callControl } from '@callctl/proto';
import { GrpcStatusError, isReceivedStatus } from '@callctl/errors/grpc';

export interface WatchOptions {
  /** Added to the client's metadata. */
  metadata?: Readonly<Record<string, string>>;
  /**
   * After UNAVAILABLE, open the stream again from the last position received + 1, when something was
   * received since it was (re)opened; otherwise the feed ends with the error. @default true
   */
  resume?: boolean;
  /** How long to wait for the server before opening, and again after a drop. @default the client's deadline */
  reconnectTimeoutMs?: number;
  /** Told of each drop the feed resumes after. */
  onResume?(error: GrpcStatusError, fromPosition: number): void;
}

/** What every watch of the API streams: each message's envelope carries its log position. */
export interface WatchMessage {
  envelope?: { globalPosition: number } | undefined;
}

/** A live feed of events; iterate it once. */
export interface EventFeed<
  Message extends WatchMessage = callControl.WatchEventsResponse,
> extends AsyncIterable<Message> {
  /** Ends the feed: the iteration finishes without an error. */
  close(): void;
  /** Settles when the iteration ends: void when the server ended it or close() was called, else the error. */
  closed(): Promise<void | Error>;
  /** The position the feed would resume from: the last one received + 1. */
  readonly nextPosition: number;
}

/** What the feed needs of the client. */
export interface FeedTransport<Message extends WatchMessage> {
  /** The RPC's name, in errors (`WatchEvents`). */
  rpc: string;
  open(fromPosition: number, metadata: Metadata): ClientReadableStream<Message>;
  waitForReady(timeoutMs: number): Promise<void>;
  metadata(extra: Readonly<Record<string, string>> | undefined): Metadata;
  reconnectTimeoutMs: number;
}

export function watchEvents<Message extends WatchMessage>(
  transport: FeedTransport<Message>,
  fromPosition: number,
  options: WatchOptions,
): EventFeed<Message> {
  let next = fromPosition;
  let closing = false;
  let current: ClientReadableStream<Message> | undefined;
  let settle: (outcome: void | Error) => void = () => undefined;
  const closed = new Promise<void | Error>((resolve) => (settle = resolve));
  const reconnectTimeoutMs = options.reconnectTimeoutMs ?? transport.reconnectTimeoutMs;

  async function* events(): AsyncGenerator<Message> {
    try {
      for (;;) {
        await transport.waitForReady(reconnectTimeoutMs);
        if (closing) return;
        const stream = (current = transport.open(next, transport.metadata(options.metadata)));
        let received = false;
        try {
          for await (const message of stream as AsyncIterable<Message>) {
            received = true;
            if (message.envelope) next = message.envelope.globalPosition + 1;
            yield message;
          }
          return;
        } catch (error) {
          if (closing) return;
          if (!isReceivedStatus(error)) throw error;
          const mapped = new GrpcStatusError(error, { rpc: transport.rpc });
          if (options.resume === false || error.code !== GrpcStatus.UNAVAILABLE || !received) throw mapped;
          options.onResume?.(mapped, next);
        } finally {
          stream.cancel();
        }
      }
    } catch (error) {
      settle(error as Error);
      throw error;
    } finally {
      settle();
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: () => {
      closing = true;
      current?.cancel();
    },
    closed: () => closed,
    get nextPosition() {
      return next;
    },
  };
}
