import { createLogger } from '@callctl/logging';
import { CallFactQueues, type QueuedFact } from './call-fact-queues.js';

const log = createLogger({ service: 'test', level: 'silent' });
let n = 0;
const fact = (callId: string, sequence: number, extra: Partial<QueuedFact> = {}): QueuedFact => ({
  callId,
  factId: `f${++n}`,
  source: 'sip',
  sequence,
  occurredAtMs: Date.now(),
  arrivedAtMs: Date.now(),
  endsLeg: false,
  ...extra,
});

function queues(apply: (f: QueuedFact) => Promise<void>, holdMs = 2000) {
  return new CallFactQueues<QueuedFact>({
    apply,
    clock: Date.now,
    log,
    holdMs,
    crossSourceGraceMs: 0,
    lateAfterMs: 1000,
    reorderWindowMs: 200,
  });
}

describe('call fact queues', () => {
  it("apply a call's facts one after the other: a slow fact holds its call's next one", async () => {
    const order: string[] = [];
    let release!: () => void;
    const q = queues(async (f) => {
      if (f.callId === 'a' && f.sequence === 1) await new Promise<void>((resolve) => (release = resolve));
      order.push(`${f.callId}:${f.sequence}`);
    });
    q.add(fact('a', 1));
    q.add(fact('a', 2));
    q.add(fact('b', 1));
    await q.idle('b');
    expect(order).toEqual(['b:1']);
    release();
    await q.idle('a');
    expect(order).toEqual(['b:1', 'a:1', 'a:2']);
  });

  it('wait for an overtaken predecessor, and go on as soon as it arrives', async () => {
    const order: number[] = [];
    const q = queues(async (f) => void order.push(f.sequence));
    q.add(fact('c', 1));
    await q.idle('c');
    const started = Date.now();
    q.add(fact('c', 3));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual([1]);
    q.add(fact('c', 2));
    await q.idle('c');
    expect(order).toEqual([1, 2, 3]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('apply a fact whose predecessor never comes once the hold ends', async () => {
    const order: number[] = [];
    const q = queues(async (f) => void order.push(f.sequence), 100);
    q.add(fact('d', 1));
    await q.idle('d');
    q.add(fact('d', 3));
    await q.idle('d');
    expect(order).toEqual([1, 3]);
  });

  it('tell which facts of a call are not settled, and hand back the waiting ones on close', async () => {
    let release!: () => void;
    const q = queues(() => new Promise<void>((resolve) => (release = resolve)));
    const first = fact('e', 1);
    const second = fact('e', 2);
    q.add(first);
    q.add(second);
    expect(q.unsettled('e')).toEqual([first, second]);
    const closing = q.close();
    release();
    expect(await closing).toEqual([second]);
  });

  it('apply fresh facts at once', async () => {
    const applied: number[] = [];
    const q = queues(async () => void applied.push(Date.now()));
    const added = Date.now();
    q.add(fact('f', 1));
    await q.idle('f');
    expect(applied[0]! - added).toBeLessThan(100);
  });

  it("gather a call's late facts from two sources and apply them in the order they happened", async () => {
    const order: string[] = [];
    const q = queues(async (f) => void order.push(f.factId));
    const outageAt = Date.now() - 10_000;
    // As the two services' clients flushed them after the outage: the media "1" before the SIP "5".
    q.add(fact('g', 1, { factId: 'one', source: 'media', occurredAtMs: outageAt + 200 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    q.add(fact('g', 1, { factId: 'five', source: 'sip', occurredAtMs: outageAt + 100 }));
    q.add(fact('g', 2, { factId: 'bye', source: 'sip', occurredAtMs: outageAt + 300, endsLeg: true }));
    await q.idle('g');
    expect(order).toEqual(['five', 'one', 'bye']);
  });

  it('hold a fact, and what happened after it, until it is released', async () => {
    const order: string[] = [];
    const q = queues(async (f) => void order.push(f.factId));
    let release!: () => void;
    const outageAt = Date.now() - 10_000;
    q.add(
      fact('h', 2, { factId: 'bye', occurredAtMs: outageAt + 300, endsLeg: true }),
      new Promise<void>((resolve) => (release = resolve)),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(order).toEqual([]);
    q.add(fact('h', 1, { factId: 'one', source: 'media', occurredAtMs: outageAt + 200 }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(order).toEqual(['one']);
    release();
    await q.idle('h');
    expect(order).toEqual(['one', 'bye']);
  });
});
