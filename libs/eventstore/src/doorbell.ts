/**
 * Wakes a polling loop early. LISTEN/NOTIFY (or a close) rings it; the loop sleeps until it is rung or its
 * poll interval passes. A ring that arrives while the loop is busy reading is kept, so the next sleep returns
 * at once and no notification is lost between a read and the sleep after it.
 */
export class Doorbell {
  private rung = false;
  private wake: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.wake?.();
  }

  /** Called just before a read: rings up to here are served by that read. */
  clear(): void {
    this.rung = false;
  }

  get isRung(): boolean {
    return this.rung;
  }

  sleep(ms: number): Promise<void> {
    if (this.rung) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
