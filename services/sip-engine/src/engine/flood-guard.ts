// A per-source request-rate ban in the spirit of Kamailio's default anti-flood (pike + an `ipban` htable
// with autoexpire): more than `maxRequestsPerSample` requests from one IP address within one sample window
// ban that address for `banMs`; requests from a banned address are dropped silently. It runs in the front
// door before any transaction exists, so a flood costs a map lookup per datagram and nothing else.
import type { Logger } from '@callctl/logging';
import { cidrContains, formatCidr, type Cidr } from '@callctl/sip';
import type { Clock, Timer } from '../core/runtime.js';

export interface FloodGuardOptions {
  /** Length of one sample window (Kamailio pike `sampling_time_unit`, 2 s). @default 2000 */
  sampleMs?: number;
  /** Requests one address may send in a window; one more bans it (pike `reqs_density_per_unit`). 0 = off. @default 16 */
  maxRequestsPerSample?: number;
  /** How long a ban lasts (Kamailio's `ipban` htable `autoexpire`, 300 s). @default 300_000 */
  banMs?: number;
  /** Sources never counted nor banned: trusted carriers, the platform's own hosts, a test's loopback. @default none */
  exempt?: readonly Cidr[];
  /**
   * Addresses counted within one window at most. Past it new addresses pass uncounted: a flood from spoofed
   * random sources cannot be stopped per source anyway, and the table must not grow with it (the core's
   * caps bound what such a flood costs). @default 100_000
   */
  maxTrackedSources?: number;
}

export const DEFAULT_FLOOD_SAMPLE_MS = 2000;
export const DEFAULT_FLOOD_MAX_REQUESTS_PER_SAMPLE = 16;
export const DEFAULT_FLOOD_BAN_MS = 300_000;
export const DEFAULT_FLOOD_MAX_TRACKED_SOURCES = 100_000;

/** What the front door does with one request. */
export type FloodVerdict = 'pass' | 'drop';

/** A ban in force, for the engine's status. */
export interface FloodBan {
  address: string;
  /** When it was imposed and when it lifts (ISO 8601). */
  since: string;
  until: string;
  /** Requests dropped while it was in force. */
  dropped: number;
}

export interface FloodStatus {
  /** Whether the guard counts at all (maxRequestsPerSample > 0). */
  enabled: boolean;
  sampleMs: number;
  maxRequestsPerSample: number;
  banMs: number;
  exempt: string[];
  /** Bans in force now. */
  bans: FloodBan[];
  /** Bans imposed since start. */
  bansTotal: number;
  /** Requests dropped because their source was banned, since start. */
  droppedTotal: number;
}

interface BanEntry {
  since: Date;
  until: Date;
  dropped: number;
  timer: Timer;
}

export class FloodGuard {
  private readonly sampleMs: number;
  private readonly maxRequests: number;
  private readonly banMs: number;
  private readonly exempt: readonly Cidr[];
  private readonly maxTracked: number;
  /** Requests per address in the current window; replaced whole when the window rolls. */
  private counts = new Map<string, number>();
  private window = Number.NaN;
  private readonly bans = new Map<string, BanEntry>();
  private bansTotal = 0;
  private droppedTotal = 0;

  constructor(
    options: FloodGuardOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.sampleMs = options.sampleMs ?? DEFAULT_FLOOD_SAMPLE_MS;
    this.maxRequests = options.maxRequestsPerSample ?? DEFAULT_FLOOD_MAX_REQUESTS_PER_SAMPLE;
    this.banMs = options.banMs ?? DEFAULT_FLOOD_BAN_MS;
    this.exempt = options.exempt ?? [];
    this.maxTracked = options.maxTrackedSources ?? DEFAULT_FLOOD_MAX_TRACKED_SOURCES;
  }

  /**
   * Drops anything from a banned address (counted against its ban); true when it did. Checked before a
   * message is even parsed: a banned source costs one map lookup per datagram.
   */
  dropIfBanned(address: string): boolean {
    const ban = this.bans.get(address);
    if (!ban) return false;
    ban.dropped += 1;
    this.droppedTotal += 1;
    return true;
  }

  /** Counts one request from an address not banned, and says whether it may go on ('drop': it just got banned). */
  check(address: string): FloodVerdict {
    if (this.maxRequests <= 0 || this.isExempt(address)) return 'pass';
    if (this.dropIfBanned(address)) return 'drop';
    // Windows are global and aligned, as pike's timer ticks are: one map per window, dropped whole when the
    // next one starts.
    const window = Math.floor(this.clock.now().getTime() / this.sampleMs);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    const seen = this.counts.get(address);
    if (seen === undefined && this.counts.size >= this.maxTracked) return 'pass';
    const count = (seen ?? 0) + 1;
    this.counts.set(address, count);
    if (count <= this.maxRequests) return 'pass';
    this.ban(address, count);
    this.droppedTotal += 1;
    return 'drop';
  }

  status(): FloodStatus {
    return {
      enabled: this.maxRequests > 0,
      sampleMs: this.sampleMs,
      maxRequestsPerSample: this.maxRequests,
      banMs: this.banMs,
      exempt: this.exempt.map(formatCidr),
      bans: [...this.bans].map(([address, b]) => ({
        address,
        since: b.since.toISOString(),
        until: b.until.toISOString(),
        dropped: b.dropped,
      })),
      bansTotal: this.bansTotal,
      droppedTotal: this.droppedTotal,
    };
  }

  /** Lifts every ban and stops their timers (engine shutdown). */
  close(): void {
    for (const ban of this.bans.values()) ban.timer.cancel();
    this.bans.clear();
    this.counts.clear();
  }

  private isExempt(address: string): boolean {
    return this.exempt.some((cidr) => cidrContains(cidr, address));
  }

  private ban(address: string, requests: number): void {
    this.counts.delete(address);
    const since = this.clock.now();
    const until = new Date(since.getTime() + this.banMs);
    const timer = this.clock.after(this.banMs, () => {
      const ended = this.bans.get(address);
      if (!ended) return;
      this.bans.delete(address);
      this.log.info({ address, dropped: ended.dropped, banMs: this.banMs }, 'flood ban lifted');
    });
    this.bans.set(address, { since, until, dropped: 0, timer });
    this.bansTotal += 1;
    this.log.warn(
      { address, requests, sampleMs: this.sampleMs, banMs: this.banMs, until: until.toISOString() },
      'flood ban: source sent too many requests',
    );
  }
}
