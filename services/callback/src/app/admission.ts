// Admission of NEW callbacks (a replay is always answered): a cap on callbacks not over, and a token bucket
// of CALLBACK_MAX_PER_SECOND tokens refilled at that rate. Pure: the caller passes the time.

export interface AdmissionLimits {
  maxActive: number;
  maxPerSecond: number;
}

export type AdmissionVerdict = 'admitted' | 'concurrency' | 'rate';

export class Admission {
  private tokens: number;
  private refilledAtMs: number | undefined;
  constructor(private readonly limits: AdmissionLimits) {
    this.tokens = limits.maxPerSecond;
  }

  /** Takes a token when admitted; `active` is the number of callbacks not over. */
  admit(active: number, nowMs: number): AdmissionVerdict {
    if (active >= this.limits.maxActive) return 'concurrency';
    this.refill(nowMs);
    if (this.tokens < 1) return 'rate';
    this.tokens -= 1;
    return 'admitted';
  }

  /** Gives back the token of an admission whose claim was lost to another request (it started nothing). */
  refund(): void {
    this.tokens = Math.min(this.limits.maxPerSecond, this.tokens + 1);
  }

  private refill(nowMs: number): void {
    if (this.refilledAtMs !== undefined) {
      const elapsedS = Math.max(0, nowMs - this.refilledAtMs) / 1000;
      this.tokens = Math.min(this.limits.maxPerSecond, this.tokens + elapsedS * this.limits.maxPerSecond);
    }
    this.refilledAtMs = nowMs;
  }
}
