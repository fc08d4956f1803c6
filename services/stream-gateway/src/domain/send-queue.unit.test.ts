import fc from 'fast-check';
import { SendQueue } from './send-queue.js';

const op = fc.oneof(
  fc.record({
    kind: fc.constant('push' as const),
    bytes: fc.integer({ min: 1, max: 500 }),
    droppable: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('shift' as const) }),
  fc.record({ kind: fc.constant('enforce' as const), socket: fc.integer({ min: 0, max: 5000 }) }),
);

describe('SendQueue (the bounded buffer before an endpoint)', () => {
  it('after enforce, queue and socket fit the capacity unless only lifecycle messages are left', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 5000 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const queue = new SendQueue<number>(capacity);
        let id = 0;
        const droppableIds = new Set<number>();
        const pushed: number[] = [];
        const out: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            queue.push(id, o.bytes, o.droppable);
            if (o.droppable) droppableIds.add(id);
            pushed.push(id++);
          } else if (o.kind === 'shift') {
            const item = queue.shift();
            if (item !== undefined) out.push(item);
          } else {
            queue.enforce(o.socket);
            if (o.socket + queue.bytes > capacity) {
              // Whatever is left is a lifecycle message.
              const left: number[] = [];
              for (let item = queue.shift(); item !== undefined; item = queue.shift()) left.push(item);
              expect(left.every((item) => !droppableIds.has(item))).toBe(true);
              out.push(...left);
            }
          }
        }
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item);
        // Order kept; only droppable messages missing; the count of them is `dropped`.
        expect(out).toEqual([...out].sort((a, b) => a - b));
        const missing = pushed.filter((item) => !out.includes(item));
        expect(missing.every((item) => droppableIds.has(item))).toBe(true);
        expect(queue.dropped).toBe(missing.length);
      }),
    );
  });

  it('drops the oldest frames first and keeps the newest', () => {
    const queue = new SendQueue<string>(300);
    queue.push('start', 50, false);
    for (let i = 1; i <= 5; i++) queue.push(`frame-${i}`, 100, true);
    expect(queue.enforce(0)).toBe(3);
    expect([queue.shift(), queue.shift(), queue.shift()]).toEqual(['start', 'frame-4', 'frame-5']);
  });

  it('counts what the socket holds against the same budget', () => {
    const queue = new SendQueue<string>(300);
    queue.push('a', 100, true);
    queue.push('b', 100, true);
    expect(queue.enforce(150)).toBe(1);
    expect(queue.shift()).toBe('b');
  });

  it('puts a reconnection start in front and counts what is left at the end', () => {
    const queue = new SendQueue<string>(1000);
    queue.push('frame', 100, true);
    queue.pushFront('start', 10);
    queue.pushFront('connect', 10);
    expect(queue.shift()).toBe('connect');
    expect(queue.clear()).toBe(1);
    expect(queue.length).toBe(0);
  });
});
