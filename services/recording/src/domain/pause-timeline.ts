// Where a part's pauses are, on the recorder's timeline of 20 ms frames (frame n = the n-th frame of wall
// clock time since the part's audio started), and where they end up in the file: with `silence` a pause is
// frames of zeros, so its file offset is its frame; with `cut` the file skips it, so its offset is its frame
// minus every earlier pause's length.

/** The app's FilePause and PauseMode (ports.ts), restated: the domain imports nothing from app/. */
export interface FilePause {
  readonly offsetMs: number;
  readonly durationMs: number;
  readonly pausedAtMs: number;
  readonly resumedAtMs?: number;
}
export type PauseMode = 'silence' | 'cut';

interface PauseSpan {
  readonly startFrame: number;
  endFrame: number | undefined;
  readonly pausedAtMs: number;
  resumedAtMs: number | undefined;
}

export class PauseTimeline {
  private readonly spans: PauseSpan[] = [];

  constructor(
    readonly mode: PauseMode,
    private readonly frameMs: number,
  ) {}

  get paused(): boolean {
    const last = this.spans.at(-1);
    return last !== undefined && last.endFrame === undefined;
  }

  /**
   * Pauses from `frame` on (epoch `atMs` for the record). False when already paused. `frame` must not be
   * before the previous pause's end.
   */
  pause(frame: number, atMs: number): boolean {
    if (this.paused) return false;
    const previousEnd = this.spans.at(-1)?.endFrame ?? 0;
    this.spans.push({
      startFrame: Math.max(frame, previousEnd),
      endFrame: undefined,
      pausedAtMs: atMs,
      resumedAtMs: undefined,
    });
    return true;
  }

  /** Resumes at `frame` (the first frame recorded again). False when not paused. */
  resume(frame: number, atMs: number): boolean {
    const last = this.spans.at(-1);
    if (!last || last.endFrame !== undefined) return false;
    last.endFrame = Math.max(frame, last.startFrame);
    last.resumedAtMs = atMs;
    return true;
  }

  /** Whether timeline frame `frame` falls in a pause. */
  isPaused(frame: number): boolean {
    for (let i = this.spans.length - 1; i >= 0; i--) {
      const span = this.spans[i]!;
      if (span.startFrame <= frame) return span.endFrame === undefined || frame < span.endFrame;
    }
    return false;
  }

  /**
   * The pauses as the file holds them. A pause still open lasts 0 ms, unless the part ended at `endFrame`:
   * then it lasts until there (and has no resume time).
   */
  pauses(endFrame?: number): FilePause[] {
    let cutFrames = 0;
    return this.spans.map((span) => {
      const end = span.endFrame ?? endFrame;
      const frames = end === undefined ? 0 : Math.max(0, end - span.startFrame);
      const pause: FilePause = {
        offsetMs: (span.startFrame - cutFrames) * this.frameMs,
        durationMs: frames * this.frameMs,
        pausedAtMs: span.pausedAtMs,
        ...(span.resumedAtMs === undefined ? {} : { resumedAtMs: span.resumedAtMs }),
      };
      if (this.mode === 'cut') cutFrames += frames;
      return pause;
    });
  }
}
