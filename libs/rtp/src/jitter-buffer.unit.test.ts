import { seededRandom } from '@callctl/testing';
import { JitterBuffer, type JitterBufferOutput } from './jitter-buffer.js';
import type { RtpPacket } from './rtp-packet.js';

const FRAME = 160; // 20 ms of G.711

function packet(sequence: number, timestamp: number, ssrc = 1, payloadType = 0, bytes = FRAME): RtpPacket {
  return {
    payloadType,
    marker: false,
    sequence: sequence & 0xffff,
    timestamp: timestamp >>> 0,
    ssrc,
    csrcs: [],
    payload: new Uint8Array(bytes),
  };
}

/** Outputs as short strings: `p<seq>`, `gap<lost>/<samples>`, `<reason><step>`. */
function summary(outputs: JitterBufferOutput[]): string[] {
  return outputs.map((output) => {
    if (output.kind === 'packet') return `p${output.packet.sequence}`;
    if (output.kind === 'gap') return `gap${output.lostPackets}/${output.samples}`;
    return `${output.reason}${output.timestampStep}${output.lostPackets ? `/lost${output.lostPackets}` : ''}`;
  });
}

function buffer(depthMs = 60): JitterBuffer {
  return new JitterBuffer({ depthMs, clockRate: 8000 });
}

describe('JitterBuffer', () => {
  it('releases packets that follow on at once', () => {
    const jb = buffer();
    expect(jb.push(packet(10, 1600), 0)).toBe('buffered');
    expect(jb.push(packet(11, 1760), 20)).toBe('buffered');
    expect(summary(jb.pull(20))).toEqual(['p10', 'p11']);
    expect(summary(jb.pull(40))).toEqual([]);
  });

  it('reorders: a packet behind a hole waits for the missing one and both come out in order', () => {
    const jb = buffer();
    jb.push(packet(1, 0), 0);
    jb.push(packet(3, 320), 40);
    expect(summary(jb.pull(40))).toEqual(['p1']);
    expect(jb.waitingPackets).toBe(1);
    jb.push(packet(2, 160), 45);
    expect(summary(jb.pull(45))).toEqual(['p2', 'p3']);
    expect(jb.stats.lostPackets).toBe(0);
  });

  it('declares a hole lost after depthMs and reports the silence that fills it', () => {
    const jb = buffer(60);
    jb.push(packet(1, 0), 0);
    jb.push(packet(4, 480), 60);
    expect(summary(jb.pull(60))).toEqual(['p1']);
    expect(summary(jb.pull(119))).toEqual([]);
    expect(summary(jb.pull(120))).toEqual(['gap2/320', 'p4']);
    expect(jb.stats).toMatchObject({ lostPackets: 2, gapSamples: 320, released: 2 });
  });

  it('does not wait when the packets behind a hole already span depthMs of audio', () => {
    const jb = buffer(60); // 480 samples
    jb.push(packet(1, 0), 0);
    expect(summary(jb.pull(0))).toEqual(['p1']);
    for (const seq of [3, 4]) jb.push(packet(seq, (seq - 1) * FRAME), 1);
    expect(summary(jb.pull(1))).toEqual([]); // spans 160..480 from the expected 160: 320 < 480
    jb.push(packet(5, 4 * FRAME), 1);
    expect(summary(jb.pull(1))).toEqual(['gap1/160', 'p3', 'p4', 'p5']);
  });

  it('drops a packet that comes after its hole was declared lost, and counts it late', () => {
    const jb = buffer(60);
    jb.push(packet(1, 0), 0);
    jb.push(packet(3, 320), 10);
    jb.pull(100);
    expect(jb.push(packet(2, 160), 101)).toBe('late');
    expect(summary(jb.pull(101))).toEqual([]);
    expect(jb.stats.late).toBe(1);
  });

  it('drops duplicates, whether still waiting or already released', () => {
    const jb = buffer();
    jb.push(packet(1, 0), 0);
    jb.pull(0);
    expect(jb.push(packet(1, 0), 1)).toBe('duplicate');
    jb.push(packet(3, 320), 2);
    expect(jb.push(packet(3, 320), 3)).toBe('duplicate');
    jb.push(packet(2, 160), 4);
    expect(summary(jb.pull(4))).toEqual(['p2', 'p3']);
    expect(jb.stats.duplicates).toBe(2);
  });

  it('follows sequence numbers and timestamps across their wrap-around', () => {
    const jb = buffer();
    const t0 = 0xffffffff - 300; // the timestamp wraps between the 2nd and 3rd packet
    jb.push(packet(65534, t0), 0);
    jb.push(packet(0, t0 + 2 * FRAME), 40);
    jb.push(packet(65535, t0 + FRAME), 41);
    jb.push(packet(1, t0 + 3 * FRAME), 60);
    expect(summary(jb.pull(60))).toEqual(['p65534', 'p65535', 'p0', 'p1']);
    jb.push(packet(3, t0 + 5 * FRAME), 100);
    expect(summary(jb.pull(200))).toEqual(['gap1/160', 'p3']);
  });

  it('takes packets reordered before the stream’s first release', () => {
    const jb = buffer();
    jb.push(packet(6, 960), 0);
    jb.push(packet(5, 800), 1);
    expect(summary(jb.pull(1))).toEqual(['p5', 'p6']);
  });

  it('treats a new SSRC as a new stream: the old one is drained, then a discontinuity, then the new one', () => {
    const jb = buffer();
    jb.push(packet(1, 0, 0xaaaa), 0);
    jb.pull(0);
    jb.push(packet(3, 320, 0xaaaa), 20);
    expect(jb.push(packet(9000, 123456, 0xbbbb), 25)).toBe('new-stream');
    jb.push(packet(9001, 123616, 0xbbbb), 45);
    expect(summary(jb.pull(45))).toEqual(['gap1/160', 'p3', 'new-stream0', 'p9000', 'p9001']);
    expect(jb.stats.discontinuities).toBe(1);
    // A straggler of the old stream is another switch: the newest SSRC wins each time (README).
    expect(jb.push(packet(4, 480, 0xaaaa), 50)).toBe('new-stream');
    expect(summary(jb.pull(50))).toEqual(['new-stream0', 'p4']);
  });

  it('reports rtpengine’s timestamp jump back (a playback replacing another) as a discontinuity, not a gap', () => {
    const jb = buffer();
    jb.push(packet(100, 8000), 0);
    jb.push(packet(101, 8000 + FRAME - 944), 20); // same SSRC, sequence continuous, 944 samples back
    jb.push(packet(102, 8000 + 2 * FRAME - 944), 40);
    expect(summary(jb.pull(40))).toEqual(['p100', 'timestamp-jump-944', 'p101', 'p102']);
    expect(jb.stats.gapSamples).toBe(0);
  });

  it('fills a sender’s pause (silence suppression) but not a jump beyond maxGapMs', () => {
    const jb = new JitterBuffer({ depthMs: 60, clockRate: 8000, maxGapMs: 1000 });
    jb.push(packet(1, 0), 0);
    jb.push(packet(2, FRAME + 800), 120);
    jb.push(packet(3, 2 * FRAME + 800 + 8001), 140);
    expect(summary(jb.pull(140))).toEqual(['p1', 'gap0/800', 'p2', 'timestamp-jump8001', 'p3']);
  });

  it('treats a sequence jump beyond 3000 as a restart of the stream', () => {
    const jb = buffer();
    jb.push(packet(10, 0), 0);
    expect(jb.push(packet(20000, 160), 20)).toBe('sequence-restart');
    expect(summary(jb.pull(20))).toEqual(['p10', 'sequence-restart0', 'p20000']);
  });

  it('lets RFC 4733 packets take no time, so the audio after an event follows as a gap of its length', () => {
    const jb = new JitterBuffer({
      depthMs: 60,
      clockRate: 8000,
      durationOf: (p) => (p.payloadType === 101 ? 0 : p.payload.length),
    });
    jb.push(packet(1, 0), 0);
    for (let i = 0; i < 5; i++) jb.push(packet(2 + i, FRAME, 1, 101, 4), 20 + i * 20); // one event at 160
    jb.push(packet(7, FRAME + 640), 120); // audio resumes after a 640-sample event
    expect(summary(jb.pull(120))).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'gap0/640', 'p7']);
  });

  it('drains what is waiting at the end of a stream', () => {
    const jb = buffer();
    jb.push(packet(1, 0), 0);
    jb.push(packet(3, 320), 1);
    jb.pull(1);
    expect(summary(jb.drain())).toEqual(['gap1/160', 'p3']);
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new JitterBuffer({ depthMs: -1, clockRate: 8000 })).toThrow(/depthMs/);
    expect(() => new JitterBuffer({ depthMs: 60, clockRate: 0 })).toThrow(/clockRate/);
  });

  it('property: with jitter under depthMs, loss and duplicates, the output is the stream in order with every hole reported', () => {
    for (const seed of [1, 2, 3, 42, 1337, 65535, 20261206]) {
      const random = seededRandom(seed);
      const count = 500;
      const firstSequence = Math.floor(random() * 65536);
      const firstTimestamp = Math.floor(random() * 2 ** 32);
      const arrivals: { packet: RtpPacket; at: number }[] = [];
      const dropped = new Set<number>();
      let duplicates = 0;
      for (let i = 0; i < count; i++) {
        const dropIt = i > 0 && i < count - 1 && random() < 0.05;
        if (dropIt) {
          dropped.add(i);
          continue;
        }
        const p = packet(firstSequence + i, firstTimestamp + i * FRAME);
        arrivals.push({ packet: p, at: i * 20 + random() * 70 });
        if (random() < 0.03) {
          arrivals.push({ packet: p, at: i * 20 + random() * 70 });
          duplicates++;
        }
      }
      arrivals.sort((a, b) => a.at - b.at);
      const jb = buffer(100);
      const out: JitterBufferOutput[] = [];
      let next = 0;
      for (let tick = 0; tick <= count * 20 + 200; tick += 20) {
        while (next < arrivals.length && arrivals[next]!.at <= tick)
          jb.push(arrivals[next]!.packet, arrivals[next++]!.at);
        out.push(...jb.pull(tick));
      }
      out.push(...jb.drain());

      const expected: string[] = [];
      for (let i = 0; i < count; i++) {
        if (!dropped.has(i)) {
          expected.push(`p${(firstSequence + i) & 0xffff}`);
          continue;
        }
        let run = 0;
        while (dropped.has(i + run)) run++;
        expected.push(`gap${run}/${run * FRAME}`);
        i += run - 1;
      }
      expect({ seed, out: summary(out) }).toEqual({ seed, out: expected });
      expect({ seed, ...jb.stats }).toMatchObject({
        seed,
        late: 0,
        duplicates,
        lostPackets: dropped.size,
        released: count - dropped.size,
      });
    }
  });
});
