// One command at a time per call inside this process: a fact about a leg waits while the command that
// caused it (AnswerLeg: SIP 200 sent, not yet recorded) finishes, instead of racing it to the append.
// Across processes the stream version still decides (ConcurrencyError, reload, retry).
export class CallLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(callId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(callId) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(callId, tail);
    try {
      return await result;
    } finally {
      // The last one out removes the entry, so the map holds only calls with work in flight.
      if (this.tails.get(callId) === tail) this.tails.delete(callId);
    }
  }
}
