// Audio a bidirectional endpoint sends back, waiting to be played into the call: 20 ms PCMU frames and the
// marks between them, in order. A tick takes one frame; a mark is reached once every frame queued before
// it was taken. Bounded: beyond `maxFrames` the oldest frames are dropped (and counted), the marks stay in
// their place. `clear` empties it and gives back every mark still queued. Pure.

type Entry = { kind: 'frame'; frame: Uint8Array } | { kind: 'mark'; name: string };

export interface PlayoutStep {
  /** This tick's frame; undefined: nothing to play. */
  frame: Uint8Array | undefined;
  /** Marks every frame before which has now been taken (before this tick's frame). */
  reached: string[];
}

export class PlayoutQueue {
  private readonly entries: Entry[] = [];
  private frameCount = 0;
  dropped = 0;

  constructor(private readonly maxFrames: number) {}

  get frames(): number {
    return this.frameCount;
  }

  pushFrame(frame: Uint8Array): void {
    this.entries.push({ kind: 'frame', frame });
    this.frameCount++;
    if (this.frameCount <= this.maxFrames) return;
    const oldest = this.entries.findIndex((entry) => entry.kind === 'frame');
    this.entries.splice(oldest, 1);
    this.frameCount--;
    this.dropped++;
  }

  pushMark(name: string): void {
    this.entries.push({ kind: 'mark', name });
  }

  /** The marks now at the head (reached), then the next frame. */
  take(): PlayoutStep {
    const reached: string[] = [];
    while (this.entries[0]?.kind === 'mark') reached.push((this.entries.shift() as { name: string }).name);
    const head = this.entries[0];
    if (head?.kind !== 'frame') return { frame: undefined, reached };
    this.entries.shift();
    this.frameCount--;
    return { frame: head.frame, reached };
  }

  /** Drops every frame; returns the marks that were queued, in order. */
  clear(): string[] {
    const marks = this.entries.flatMap((entry) => (entry.kind === 'mark' ? [entry.name] : []));
    this.entries.length = 0;
    this.frameCount = 0;
    return marks;
  }
}
