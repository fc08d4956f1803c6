import { PlayoutQueue } from './playout-queue.js';

const frame = (n: number) => new Uint8Array(160).fill(n);

describe('PlayoutQueue (audio back, with marks)', () => {
  it('reaches a mark once the frames before it were taken', () => {
    const queue = new PlayoutQueue(100);
    queue.pushFrame(frame(1));
    queue.pushFrame(frame(2));
    queue.pushMark('a');
    queue.pushFrame(frame(3));
    expect(queue.take()).toEqual({ frame: frame(1), reached: [] });
    expect(queue.take()).toEqual({ frame: frame(2), reached: [] });
    expect(queue.take()).toEqual({ frame: frame(3), reached: ['a'] });
    expect(queue.take()).toEqual({ frame: undefined, reached: [] });
  });

  it('drops the oldest frames beyond its bound and keeps the marks', () => {
    const queue = new PlayoutQueue(2);
    queue.pushFrame(frame(1));
    queue.pushMark('a');
    queue.pushFrame(frame(2));
    queue.pushFrame(frame(3));
    expect(queue.dropped).toBe(1);
    expect(queue.take()).toEqual({ frame: frame(2), reached: ['a'] });
  });

  it('clear drops every frame and gives back the marks', () => {
    const queue = new PlayoutQueue(10);
    queue.pushFrame(frame(1));
    queue.pushMark('a');
    queue.pushFrame(frame(2));
    queue.pushMark('b');
    expect(queue.clear()).toEqual(['a', 'b']);
    expect(queue.frames).toBe(0);
    expect(queue.take().frame).toBeUndefined();
  });
});
