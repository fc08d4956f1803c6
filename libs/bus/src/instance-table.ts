// Which instances of one kind are alive, from their announcements: pure state, fed by instance-registry.ts.

/** One instance as it announces itself: its stable name and the host:port of its gRPC. */
export interface Instance {
  readonly name: string;
  readonly address: string;
  /** It finishes the work it holds but takes no new work (a drain before it stops). */
  readonly draining?: boolean;
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
 * The instances heard from within `ttlMs`. An instance killed without a word drops out `ttlMs` after its
 * last heartbeat; one that stopped cleanly at once.
 */
export class InstanceTable {
  private readonly heard = new Map<string, { address: string; draining: boolean; at: number }>();

  constructor(private readonly ttlMs: number) {}

  apply(announcement: Announcement, now: number): void {
    if (announcement.state === 'gone') this.heard.delete(announcement.name);
    else
      this.heard.set(announcement.name, {
        address: announcement.address,
        draining: announcement.state === 'draining',
        at: now,
      });
  }

  /** The live instances, by name (a stable order, so that spreading over them is fair). */
  live(now: number): Instance[] {
    const live: Instance[] = [];
    for (const [name, { address, draining, at }] of this.heard) {
      if (now - at > this.ttlMs) this.heard.delete(name);
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
