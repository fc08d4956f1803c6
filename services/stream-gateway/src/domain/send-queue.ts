// The bounded buffer between a stream and its endpoint. Messages wait here until the WebSocket takes them;
// what the socket holds already (ws.bufferedAmount) counts against the same budget (STREAM_BUFFER_MS of
// the stream's audio), and when both together exceed it the oldest `media` messages still here are dropped
// and counted. Lifecycle messages (start, metadata, dtmf, mark, close) are never dropped: they are few and
// the endpoint's picture of the call depends on them. Sequence numbers are given when a message leaves
// (serialize at send), so drops leave no gap in them. While a stream reconnects, its messages wait here under
// the same bound; the new `connect` and `start` go in front of them. Pure.

export interface Queued<T> {
  readonly item: T;
  /** What it will weigh once serialized (an estimate is fine: it bounds memory, it does not meter it). */
  readonly bytes: number;
  readonly droppable: boolean;
}

export class SendQueue<T> {
  private readonly entries: Queued<T>[] = [];
  private queuedBytes = 0;
  /** Droppable messages dropped so far. */
  dropped = 0;

  /** @param capacityBytes what this queue and the socket may hold together. */
  constructor(public capacityBytes: number) {}

  get length(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  push(item: T, bytes: number, droppable: boolean): void {
    this.entries.push({ item, bytes, droppable });
    this.queuedBytes += bytes;
  }

  /** Ahead of everything queued (a reconnection's `connect` and `start`). */
  pushFront(item: T, bytes: number): void {
    this.entries.unshift({ item, bytes, droppable: false });
    this.queuedBytes += bytes;
  }

  peek(): Queued<T> | undefined {
    return this.entries[0];
  }

  shift(): T | undefined {
    const entry = this.entries.shift();
    if (entry) this.queuedBytes -= entry.bytes;
    return entry?.item;
  }

  /**
   * Drops the oldest droppable messages while `socketBytes` (held by the socket) and the queue together
   * exceed the capacity; returns how many it dropped.
   */
  enforce(socketBytes: number): number {
    let dropped = 0;
    let index = 0;
    while (socketBytes + this.queuedBytes > this.capacityBytes && index < this.entries.length) {
      const entry = this.entries[index]!;
      if (!entry.droppable) {
        index++;
        continue;
      }
      this.entries.splice(index, 1);
      this.queuedBytes -= entry.bytes;
      dropped++;
    }
    this.dropped += dropped;
    return dropped;
  }

  /** Forgets everything queued (the stream ended); returns how many droppable messages were left. */
  clear(): number {
    const left = this.entries.filter((entry) => entry.droppable).length;
    this.entries.length = 0;
    this.queuedBytes = 0;
    return left;
  }
}
