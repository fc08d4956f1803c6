import { meanSquareThreshold, rmsDbfs, SILENCE_THRESHOLD_DBFS, SilenceDetector } from './silence-detector.js';

const tone = (amplitude: number, n = 160) =>
  Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / 8000)));

describe('rmsDbfs', () => {
  it('measures a full-scale sine at -3 dBFS, digital silence at -Infinity', () => {
    expect(rmsDbfs(tone(32767, 8000))).toBeCloseTo(-3.01, 1);
    expect(rmsDbfs(new Int16Array(160))).toBe(-Infinity);
    expect(rmsDbfs(new Int16Array(0))).toBe(-Infinity);
  });

  it('has -40 dBFS as the threshold: an RMS of 328', () => {
    expect(SILENCE_THRESHOLD_DBFS).toBe(-40);
    expect(Math.sqrt(meanSquareThreshold(-40))).toBeCloseTo(327.68, 1);
  });
});

describe('SilenceDetector', () => {
  it('calls a frame voiced above -40 dBFS and silent below it', () => {
    const detector = new SilenceDetector(1000, 20);
    expect(detector.push(tone(1000))).toBe(true); // -33 dBFS
    expect(detector.push(tone(300))).toBe(false); // -43.8 dBFS: line noise, not speech
    expect(detector.push(new Int16Array(160))).toBe(false);
  });

  it('times out after the timeout of continuous silence, counting from the first frame', () => {
    const detector = new SilenceDetector(100, 20);
    for (let i = 0; i < 4; i++) detector.push(new Int16Array(160));
    expect(detector.timedOut).toBe(false);
    detector.push(new Int16Array(160));
    expect(detector.silentMs).toBe(100);
    expect(detector.timedOut).toBe(true);
  });

  it('restarts the count at every voiced frame', () => {
    const detector = new SilenceDetector(60, 20);
    detector.push(new Int16Array(160));
    detector.push(new Int16Array(160));
    detector.push(tone(5000));
    detector.push(new Int16Array(160));
    detector.push(new Int16Array(160));
    expect(detector.timedOut).toBe(false);
    detector.push(new Int16Array(160));
    expect(detector.timedOut).toBe(true);
  });

  it('reads a region of a batch (one frame of a dual file)', () => {
    const batch = new Int16Array(640);
    batch.set(tone(8000, 320), 320);
    const detector = new SilenceDetector(1000, 20);
    expect(detector.push(batch, 0, 320)).toBe(false);
    expect(detector.push(batch, 320, 320)).toBe(true);
  });

  it('refuses a timeout that is not positive', () => {
    expect(() => new SilenceDetector(0, 20)).toThrow(RangeError);
  });
});
