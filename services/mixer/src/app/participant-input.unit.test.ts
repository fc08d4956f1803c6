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
  it('plays once it holds two frames, one frame per tick, with the arrival time of the frame', () => {
    const input = new ParticipantInput('PCMU', 0);
    input.push(packet(1), 5);
    expect(input.take(10)).toBe(false);
    input.push(packet(2), 25);
    expect(input.take(30)).toBe(true);
    expect(input.frame[0]).toBe(decoded(1000));
    expect(input.frameArrivedAtMs).toBe(5);
    input.push(packet(3), 45);
    expect(input.take(50)).toBe(true);
    expect(input.frameArrivedAtMs).toBe(25);
    expect(input.counters()).toEqual({ packetsIn: 3, lost: 0, late: 0, concealedFrames: 0 });
  });

  it('conceals a frame a late packet has not filled, and does not fill that hole twice', () => {
    const input = playing();
    // 4 is lost; the tick due for it finds nothing.
    expect(input.take(61)).toBe(true); // 3
    expect(input.take(81)).toBe(false);
    input.push(packet(5), 85); // gives the hole up at once (one frame of audio behind it)
    input.push(packet(6), 100);
    expect(input.take(101)).toBe(true);
    expect(input.frameArrivedAtMs).toBe(85); // 5, not a second frame of silence
    expect(input.counters()).toMatchObject({ lost: 1, concealedFrames: 1 });
  });

  it('fills a lost packet with silence when the ring had not run dry', () => {
    const input = playing();
    input.push(packet(5), 60); // 4 lost, 5 on time
    expect(input.take(61)).toBe(true); // 3
    expect(input.take(81)).toBe(true); // the silence of 4
    expect(input.frame.every((s) => s === 0)).toBe(true);
    expect(input.take(101)).toBe(true);
    expect(input.frameArrivedAtMs).toBe(60);
    expect(input.counters()).toMatchObject({ lost: 1, concealedFrames: 1 });
  });

  it('stops playing, without counting concealment, when the participant pauses', () => {
    const input = new ParticipantInput('PCMU', 0);
    input.push(packet(1), 0);
    input.push(packet(2), 20);
    expect([input.take(21), input.take(41)]).toEqual([true, true]);
    expect(input.take(100)).toBe(false);
    expect(input.counters().concealedFrames).toBe(0);
  });

  it('cuts a long backlog back to two frames at once, counting the dropped ones as late', () => {
    const input = new ParticipantInput('PCMU', 0);
    for (let n = 1; n <= 12; n++) input.push(packet(n, n * 100), 0);
    expect(input.take(1)).toBe(true);
    expect(input.frame[0]).toBe(decoded(1100));
    expect(input.counters().late).toBe(10);
  });

  it('shrinks back to two frames after a second in which it never held less than three', () => {
    const input = new ParticipantInput('PCMU', 0);
    input.push(packet(1), 0);
    input.push(packet(2), 0);
    input.take(1); // starts playing: the window's first tick held 2 frames
    for (let n = 3; n <= 5; n++) input.push(packet(n), 2); // a burst: 4 frames held from now on
    let n = 6;
    const tick = (t: number) => {
      input.push(packet(n++), t * 20 - 1);
      input.take(t * 20);
    };
    for (let t = 2; t <= 99; t++) tick(t);
    expect(input.counters().late).toBe(0);
    tick(100); // the second window never held less than 5 before taking: cut to 2, one played
    expect(input.counters().late).toBe(3);
    expect(input.frameArrivedAtMs).toBe(100 * 20 - 1 - 20);
  });

  it('ignores payload types other than its own without opening holes', () => {
    const input = new ParticipantInput('PCMU', 0);
    input.push(packet(1), 0);
    input.push({ ...packet(2), payloadType: 13, payload: new Uint8Array(1) }, 10);
    input.push({ ...packet(3), timestamp: 320 }, 20);
    expect(input.take(21)).toBe(true);
    expect(input.counters().lost).toBe(0);
  });
});

/** Playing: 1 and 2 played at 21 and 41, 3 arrived at 40 and waits. */
function playing(): ParticipantInput {
  const input = new ParticipantInput('PCMU', 0);
  input.push(packet(1), 0);
  input.push(packet(2), 20);
  input.take(21);
  input.push(packet(3), 40);
  input.take(41);
  return input;
}

function decoded(value: number): number {
  const input = new ParticipantInput('PCMU', 0);
  input.push(packet(1, value), 0);
  input.push(packet(2, value), 0);
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
