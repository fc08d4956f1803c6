// Which instances of one kind are alive, from their announcements: pure state, fed by instance-registry.ts.

/** One instance as it announces itself: its stable name and the host:port of its gRPC. */
export interface Instance {
  readonly name: string;
  readonly address: string;
  /** It finishes the work it holds but takes no new work (a drain before it stops). */
  readonly draining?: boolean;
  /**
   * Not heard for the TTL, without having said it stopped: killed, or cut off. It may come back under its
   * name and still hold work, so a lookup that cannot ask it cannot tell that nobody holds a thing.
   */
  readonly missing?: boolean;
}

/**
 * What an instance publishes: `up` (at start and every heartbeat), `draining` (instead of `up` while it
 * drains) or `gone` (a clean stop).
 */
export interface Announcement {
  readonly name: string;
  readonly address: string;
  readonly state: 'up' | 'draining' | 'gone';
}

/**
 * The instances heard from within `ttlMs`, and those missing since (killed without a word, or cut off)
 * for up to `forgetAfterMs`; one that stopped cleanly is dropped at once.
 */
export class InstanceTable {
  private readonly heard = new Map<string, { address: string; draining: boolean; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly forgetAfterMs = ttlMs,
  ) {}

  /** `at`: when it was announced (a stored announcement read at start is older than a live one). */
  apply(announcement: Announcement, at: number): void {
    const known = this.heard.get(announcement.name);
    if (known && known.at > at) return;
    if (announcement.state === 'gone') this.heard.delete(announcement.name);
    else
      this.heard.set(announcement.name, {
        address: announcement.address,
        draining: announcement.state === 'draining',
        at,
      });
  }

  /** The instances alive or missing, by name (a stable order, so that spreading over them is fair). */
  live(now: number): Instance[] {
    const live: Instance[] = [];
    for (const [name, { address, draining, at }] of this.heard) {
      const silentMs = now - at;
      if (silentMs > this.forgetAfterMs) this.heard.delete(name);
      else if (silentMs > this.ttlMs) live.push({ name, address, missing: true });
      else live.push(draining ? { name, address, draining } : { name, address });
    }
    return live.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** An announcement as it travels (JSON), or undefined for anything else. */
export function parseAnnouncement(text: string): Announcement | undefined {
  try {
    const value = JSON.parse(text) as Partial<Announcement>;
    if (typeof value.name !== 'string' || typeof value.address !== 'string') return undefined;
    if (value.state !== 'up' && value.state !== 'draining' && value.state !== 'gone') return undefined;
    return { name: value.name, address: value.address, state: value.state };
  } catch {
    return undefined;
  }
}
