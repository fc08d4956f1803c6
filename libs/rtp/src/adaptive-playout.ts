// Adaptive playout: how much audio a party's queue holds before a 20 ms tick takes a frame, kept as short
// as the arrivals allow. The one home of the policy for every service that plays RTP on its own clock (the
// mixer's participant inputs, the stream gateway's channel inputs); the queue itself (a ring, a FIFO, μ-law
// or linear samples) stays with its owner, which acts on what tick() says.
//
// - The target starts at the least (one frame: play in the tick after arrival, 0-20 ms of phase).
// - An underrun (a tick concealed with silence, then the audio it missed arrived: late, not lost) grows the
//   target by a frame, up to the most: the queue keeps the delay the concealment put in rather than run dry
//   again at the sender's next jitter.
// - DECAY_TICKS without an underrun shrink it by a frame.
// - A queue that held a frame or more above its target at every tick of a window says 'shed': its owner
//   sheds those whole frames (shedSamples) without being heard (squeezeFrameInto, or dropped while quiet).
// - Above MAX_FRAMES (a long stall's backlog) it says 'cut': back to the target at once.

/** Ticks without an underrun after which the target shrinks by a frame (5 s of 20 ms ticks). */
const DECAY_TICKS = 250;
/** One second of ticks: a queue a frame above its target at every tick of one sheds that frame. */
const SHRINK_WINDOW_TICKS = 50;
/** Above this many frames, the queue is cut back to its target at once. */
const MAX_FRAMES = 10;
/** A frame whose samples all stay within this (about -40 dBFS) is quiet: dropping it is not heard. */
export const QUIET_PEAK = 328;
/** Input samples more per output frame while shedding, per 160 samples of frame: 1.25 % faster, not heard. */
const SQUEEZE_PER_160 = 2;

export interface AdaptivePlayoutOptions {
  /** Samples in one 20 ms frame (160 at 8 kHz, 320 at 16 kHz). */
  frameSamples: number;
  /** The least target (frames); 1 unless told. */
  minTargetFrames?: number;
  /** The most underruns can grow it to (frames): a jitterier sender is concealed, not waited for. */
  maxTargetFrames: number;
}

/** What a tick asks of the queue's owner before it takes a frame. */
export type PlayoutAction = 'play' | 'shed' | 'cut';

export class AdaptivePlayout {
  /** The target now, in frames. */
  targetFrames: number;
  underruns = 0;
  /** After a 'shed': the samples to shed, whole frames the window showed were never needed. */
  shedSamples = 0;
  private readonly frameSamples: number;
  private readonly minTarget: number;
  private readonly maxTarget: number;
  private ticksSinceUnderrun = 0;
  /** The least the queue held at a tick of the current window, and how many ticks the window has had. */
  private windowLeast = Infinity;
  private windowTicks = 0;

  constructor(options: AdaptivePlayoutOptions) {
    this.frameSamples = options.frameSamples;
    this.minTarget = options.minTargetFrames ?? 1;
    this.maxTarget = options.maxTargetFrames;
    this.targetFrames = this.minTarget;
  }

  /** The target in samples. */
  get targetSamples(): number {
    return this.targetFrames * this.frameSamples;
  }

  /** Samples more taken per output frame while shedding a frame. */
  get squeezeStep(): number {
    return Math.max(1, Math.round((this.frameSamples * SQUEEZE_PER_160) / 160));
  }

  /** Once per tick while playing, before taking a frame, with what the queue holds (samples). */
  tick(buffered: number): PlayoutAction {
    if (++this.ticksSinceUnderrun >= DECAY_TICKS && this.targetFrames > this.minTarget) {
      this.targetFrames--;
      this.ticksSinceUnderrun = 0;
    }
    this.windowLeast = Math.min(this.windowLeast, buffered);
    let shed = false;
    if (++this.windowTicks === SHRINK_WINDOW_TICKS) {
      // That many frames less would still have left the target at every tick of the window.
      const excessFrames = Math.floor((this.windowLeast - this.targetSamples) / this.frameSamples);
      shed = excessFrames >= 1;
      this.shedSamples = shed ? excessFrames * this.frameSamples : 0;
      this.windowLeast = Infinity;
      this.windowTicks = 0;
    }
    if (buffered > MAX_FRAMES * this.frameSamples) return 'cut';
    return shed ? 'shed' : 'play';
  }

  /** Audio arrived after the ticks due for it played silence: keep that delay (up to the most). */
  underrun(): void {
    this.underruns++;
    this.ticksSinceUnderrun = 0;
    if (this.targetFrames < this.maxTarget) this.targetFrames++;
  }
}

/**
 * One output frame made of `out.length + step` input samples (sampleAt(0..)), linearly interpolated: a frame
 * shed over many ticks without a sample lost.
 */
export function squeezeFrameInto(out: Int16Array, step: number, sampleAt: (index: number) => number): void {
  const span = out.length - 1;
  const lastInput = out.length + step - 1;
  for (let i = 0; i < out.length; i++) {
    // Output sample i sits at input position i × lastInput / span: between `at` and `at + 1`.
    const position = i * lastInput;
    const at = Math.floor(position / span);
    const fraction = (position - at * span) / span;
    const a = sampleAt(at);
    const b = fraction === 0 ? a : sampleAt(at + 1);
    out[i] = Math.round(a + (b - a) * fraction);
  }
}

/** Whether `count` samples (sampleAt(0..)) all stay within QUIET_PEAK. */
export function isQuiet(count: number, sampleAt: (index: number) => number): boolean {
  for (let i = 0; i < count; i++) {
    const sample = sampleAt(i);
    if (sample > QUIET_PEAK || sample < -QUIET_PEAK) return false;
  }
  return true;
}
