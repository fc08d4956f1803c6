// A WebAudio analyser on one MediaStream, sampled every SAMPLE_MS into a short history the test reads:
// how loud each frame was and where its power sat.
import { readSpectrum, rms, type AudioReading } from './spectrum.js';

const SAMPLE_MS = 50;
const HISTORY = 200; // 10 s of frames

export class AudioMeter {
  readonly history: AudioReading[] = [];
  private readonly analyser: AnalyserNode;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly sink: HTMLAudioElement | undefined;

  constructor(
    private readonly context: AudioContext,
    stream: MediaStream,
    private readonly tonesHz: readonly number[],
    { remote }: { remote: boolean },
  ) {
    // Chromium feeds a remote WebRTC track into WebAudio only while a media element plays it too.
    if (remote) {
      this.sink = new Audio();
      this.sink.muted = true;
      this.sink.srcObject = stream;
      void this.sink.play().catch(() => undefined);
    }
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 4096;
    this.analyser.smoothingTimeConstant = 0;
    context.createMediaStreamSource(stream).connect(this.analyser);
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  private sample(): void {
    const time = new Float32Array(this.analyser.fftSize);
    const frequency = new Float32Array(this.analyser.frequencyBinCount);
    this.analyser.getFloatTimeDomainData(time);
    this.analyser.getFloatFrequencyData(frequency);
    const binHz = this.context.sampleRate / this.analyser.fftSize;
    this.history.push({ rms: rms(time), ...readSpectrum(frequency, binHz, this.tonesHz) });
    if (this.history.length > HISTORY) this.history.shift();
  }

  /** The frames of the last `ms` milliseconds, oldest first. */
  recent(ms: number): AudioReading[] {
    return this.history.slice(-Math.max(1, Math.round(ms / SAMPLE_MS)));
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.sink) this.sink.srcObject = null;
  }
}
