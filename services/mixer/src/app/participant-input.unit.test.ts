import { encodeMulaw, type RtpPacket } from '@callctl/rtp';
import { FRAME_SAMPLES } from '../domain/frame-mix';
import { inputDecoderFor } from '../domain/input-decoder';
import { ParticipantInput } from './participant-input';

/** Packet n of a PCMU stream whose every sample is `value` (n: its sequence number). */
function packet(n: number, value = 1000): RtpPacket {
  return {
    payloadType: 0,
    marker: false,
    sequence: n & 0xffff,
    timestamp: (n * 160) >>> 0,
    ssrc: 42,
    csrcs: [],
    payload: encodeMulaw(new Int16Array(160).fill(value)),
  };
}

describe('participant input', () => {
  it('plays a frame in the tick right after it arrived, with the arrival time of the frame', () => {
    const input = new ParticipantInput('PCMU', 0);
    input.push(packet(1), 5);
    expect(input.take(10)).toBe(true);
    expect(input.frame[0]).toBe(decoded(1000));
    expect(input.frameArrivedAtMs).toBe(5);
    input.push(packet(2), 25);
    expect(input.take(30)).toBe(true);
    expect(input.frameArrivedAtMs).toBe(25);
    expect(input.counters()).toEqual({
      packetsIn: 2,
      lost: 0,
      late: 0,
      concealedFrames: 0,
      underruns: 0,
      targetFrames: 1,
    });
  });

  it('conceals a frame that comes late, then keeps that frame of delay: an underrun grows the target', () => {
    const input = playing();
    expect(input.take(61)).toBe(false); // 4 is late
    expect(input.frame.every((s) => s === 0)).toBe(true);
    input.push(packet(4), 65);
    input.push(packet(5), 80);
    expect(input.take(81)).toBe(true);
    expect(input.frameArrivedAtMs).toBe(65); // 4, after its silence: nothing dropped
    input.push(packet(6), 100);
    expect(input.take(101)).toBe(true);
    expect(input.frameArrivedAtMs).toBe(80); // 5: a frame held from now on
    expect(input.counters()).toMatchObject({
      lost: 0,
      late: 0,
      concealedFrames: 1,
      underruns: 1,
      targetFrames: 2,
    });
  });

  it('conceals a lost packet once, without counting an underrun or filling its hole twice', () => {
    const input = playing();
    // 4 is lost; the tick due for it finds nothing.
    expect(input.take(61)).toBe(false);
    input.push(packet(5), 80); // gives the hole up at once (one frame of audio behind it)
    expect(input.take(81)).toBe(true);
    expect(input.frameArrivedAtMs).toBe(80); // 5, not a second frame of silence
    expect(input.counters()).toMatchObject({ lost: 1, concealedFrames: 1, underruns: 0, targetFrames: 1 });
  });

  it('fills a lost packet with silence when the ring had not run dry', () => {
    const input = playing();
    input.push(packet(5), 60); // 4 lost, 5 on time: its hole is given up at once
    expect(input.take(61)).toBe(true); // the silence of 4
    expect(input.frame.every((s) => s === 0)).toBe(true);
    expect(input.take(81)).toBe(true);
    expect(input.frameArrivedAtMs).toBe(60);
    expect(input.counters()).toMatchObject({ lost: 1, concealedFrames: 1, underruns: 0 });
  });

  it('stops playing, without counting concealment, when the participant pauses', () => {
    const input = new ParticipantInput('PCMU', 0);
    input.push(packet(1), 0);
    expect(input.take(1)).toBe(true);
    input.push(packet(2), 20);
    expect(input.take(21)).toBe(true);
    expect(input.take(100)).toBe(false);
    expect(input.counters().concealedFrames).toBe(0);
  });

  it('starts with a backlog cut to a frame above its target, counting the dropped frames as late', () => {
    const input = new ParticipantInput('PCMU', 0);
    for (let n = 1; n <= 12; n++) input.push(packet(n, n * 100), 0);
    expect(input.take(1)).toBe(true);
    expect(input.frame[0]).toBe(decoded(1100));
    expect(input.counters().late).toBe(10);
  });

  it('cuts a backlog above 10 frames back to its target at once while playing', () => {
    const input = playing();
    for (let n = 4; n <= 15; n++) input.push(packet(n, n * 100), 50);
    expect(input.take(61)).toBe(true);
    expect(input.frame[0]).toBe(decoded(1500));
    expect(input.counters().late).toBe(11);
  });

  it('drops a quiet frame after a second in which it held a frame more than its target at every tick', () => {
    const { input, tick } = bursty(0);
    for (let t = 2; t <= 99; t++) tick(t);
    expect(input.counters().late).toBe(0);
    tick(100); // the second window never held less than 3 frames before taking: one frame shed per window
    expect(input.counters().late).toBe(1);
    expect(input.frameArrivedAtMs).toBe(99 * 20 - 1); // 101 played, 100 dropped
  });

  it('sheds a frame of loud audio by playing 162 samples a tick, losing none', () => {
    const { input, tick } = bursty(1000);
    for (let t = 2; t <= 99; t++) tick(t);
    const before = input.frameArrivedAtMs;
    tick(100);
    // 80 ticks of 162 samples from tick 100 on: one frame more consumed than played, nothing dropped.
    for (let t = 101; t <= 180; t++) {
      expect(input.frame.every((s) => s === decoded(1000))).toBe(true);
      tick(t);
    }
    expect(input.counters().late).toBe(0);
    // Ticks 100-179 played 100-180; tick 180 plays 181: 81 ticks on, 82 frames on.
    expect(input.frameArrivedAtMs - before).toBe(82 * 20);
  });

  it('interpolates what it squeezes', () => {
    const input = new ParticipantInput('PCMU', 0);
    input.push(packet(1, 0), 0);
    input.take(1);
    for (let n = 2; n <= 3; n++) input.push(packet(n, 0), 2);
    for (let t = 2; t <= 100; t++) {
      input.push(packet(t + 2, t >= 99 ? 2000 : 1000), t * 20 - 1);
      input.take(t * 20);
    }
    // Tick 100 played 100 (1000) squeezed with the first 2 samples of 101 (2000): a ramp at its end.
    expect(input.frame[0]).toBe(decoded(1000));
    expect(input.frame[159]).toBe(decoded(2000));
    expect(input.frame[158]).toBeGreaterThan(decoded(1000));
    expect(input.frame[158]).toBeLessThan(decoded(2000));
  });

  it('shrinks the target by a frame after 5 s without an underrun', () => {
    const { input, tick } = lateOnce();
    for (let t = 4; t < 253; t++) tick(t);
    expect(input.counters()).toMatchObject({ underruns: 1, targetFrames: 2, late: 0 });
    tick(253);
    expect(input.counters()).toMatchObject({ underruns: 1, targetFrames: 1 });
  });

  it('grows the target no further than 2 frames (40 ms): a jitterier sender is concealed', () => {
    const input = playing();
    input.take(61); // 4 late: target 2, two frames held at a tick from now on
    input.push(packet(4), 65);
    for (let t = 4; t <= 120; t++) {
      input.push(packet(t + 1), t * 20);
      expect(input.take(t * 20 + 1)).toBe(true);
    }
    expect(input.counters().targetFrames).toBe(2);
    // The sender stalls for 40 ms: the held frame played, then a tick of silence, then the backlog.
    expect([input.take(121 * 20 + 1), input.take(122 * 20 + 1)]).toEqual([true, false]);
    for (let n = 122; n <= 124; n++) input.push(packet(n), 122 * 20 + 5);
    expect(input.take(123 * 20 + 1)).toBe(true);
    expect(input.counters()).toMatchObject({ underruns: 2, targetFrames: 2, late: 0 });
  });

  it('ignores payload types other than its own without opening holes', () => {
    const input = new ParticipantInput('PCMU', 0);
    input.push(packet(1), 0);
    input.push({ ...packet(2), payloadType: 13, payload: new Uint8Array(1) }, 10);
    input.push({ ...packet(3), timestamp: 320 }, 20);
    expect(input.take(21)).toBe(true);
    expect(input.take(41)).toBe(true);
    expect(input.counters().lost).toBe(0);
  });
});

/** Playing: 1, 2, 3 arrived at 0, 20, 40 and played at 1, 21, 41. */
function playing(): ParticipantInput {
  const input = new ParticipantInput('PCMU', 0);
  for (let n = 1; n <= 3; n++) {
    input.push(packet(n), (n - 1) * 20);
    input.take((n - 1) * 20 + 1);
  }
  return input;
}

/** 4 came after its tick's silence (an underrun); from tick 4 on, packet t + 1 arrives 4 ms after tick t. */
function lateOnce() {
  const input = playing();
  input.take(61);
  input.push(packet(4), 65);
  let n = 5;
  const tick = (t: number) => {
    expect(input.take(t * 20 + 1)).toBe(true);
    input.push(packet(n++), t * 20 + 5);
  };
  return { input, tick };
}

/** Played 1 at tick 1, then a burst (2 and 3 at 2 ms): from tick 2 on, packet n arrives 1 ms before tick t. */
function bursty(value: number) {
  const input = new ParticipantInput('PCMU', 0);
  input.push(packet(1, value), 0);
  input.take(1);
  input.push(packet(2, value), 2);
  input.push(packet(3, value), 2);
  let n = 4;
  const tick = (t: number) => {
    input.push(packet(n++, value), t * 20 - 1);
    input.take(t * 20);
  };
  return { input, tick };
}

function decoded(value: number): number {
  const input = new ParticipantInput('PCMU', 0);
  input.push(packet(1, value), 0);
  input.take(0);
  return input.frame[0]!;
}

describe('participant input in G.722', () => {
  it('plays G.722 packets (payload type 9) as 8 kHz frames, decoded and decimated', () => {
    const input = new ParticipantInput('G722', 9);
    const decoder = inputDecoderFor('G722');
    const expected = new Int16Array(FRAME_SAMPLES);
    const payloads = [1, 2].map((n) => Uint8Array.from({ length: 160 }, (_, i) => (n * 160 + i) * 29));
    payloads.forEach((payload, i) =>
      input.push({ ...packet(i + 1), payloadType: 9, payload: Buffer.from(payload) }, i * 20),
    );
    decoder.decodeInto(payloads[0]!, expected);
    expect(input.take(21)).toBe(true);
    expect(input.frame).toEqual(expected);
  });
});
