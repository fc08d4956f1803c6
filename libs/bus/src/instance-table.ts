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
  /** What the instance offers the outside world (GetMediaResources), when its kind announces it. */
  readonly resources?: InstanceResources;
}

/**
 * The addresses a carrier must allowlist (seed 001): a sip-edge's SIP listen addresses, a media-worker's
 * rtpengine advertised address and port range. Optional: older instances and other kinds announce none.
 */
export interface InstanceResources {
  readonly sip?: ReadonlyArray<{ readonly transport: string; readonly host: string; readonly port: number }>;
  readonly media?: ReadonlyArray<{
    readonly address: string;
    readonly portMin: number;
    readonly portMax: number;
  }>;
}

/**
 * What an instance publishes: `up` (at start and every heartbeat), `draining` (instead of `up` while it
 * drains) or `gone` (a clean stop).
 */
export interface Announcement {
  readonly name: string;
  readonly address: string;
  readonly state: 'up' | 'draining' | 'gone';
  readonly resources?: InstanceResources;
}

/**
 * The instances heard from within `ttlMs`, and those missing since (killed without a word, or cut off)
 * for up to `forgetAfterMs`; one that stopped cleanly is dropped at once.
 */
export class InstanceTable {
  private readonly heard = new Map<
    string,
    { address: string; draining: boolean; at: number; resources?: InstanceResources | undefined }
  >();

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
        resources: announcement.resources,
      });
  }

  /** The instances alive or missing, by name (a stable order, so that spreading over them is fair). */
  live(now: number): Instance[] {
    const live: Instance[] = [];
    for (const [name, { address, draining, at, resources }] of this.heard) {
      const silentMs = now - at;
      const offers = resources ? { resources } : {};
      if (silentMs > this.forgetAfterMs) this.heard.delete(name);
      else if (silentMs > this.ttlMs) live.push({ name, address, missing: true, ...offers });
      else live.push(draining ? { name, address, draining, ...offers } : { name, address, ...offers });
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
    const resources = resourcesOf(value.resources);
    return {
      name: value.name,
      address: value.address,
      state: value.state,
      ...(resources ? { resources } : {}),
    };
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;

/** The well-formed entries of an announcement's resources (a malformed one is left out, never fatal). */
function resourcesOf(value: unknown): InstanceResources | undefined {
  if (!isObject(value)) return undefined;
  const sip = Array.isArray(value.sip)
    ? value.sip
        .filter(isObject)
        .filter((a) => typeof a.transport === 'string' && typeof a.host === 'string' && isPort(a.port))
        .map((a) => ({ transport: a.transport as string, host: a.host as string, port: a.port as number }))
    : [];
  const media = Array.isArray(value.media)
    ? value.media
        .filter(isObject)
        .filter((a) => typeof a.address === 'string' && isPort(a.portMin) && isPort(a.portMax))
        .map((a) => ({
          address: a.address as string,
          portMin: a.portMin as number,
          portMax: a.portMax as number,
        }))
    : [];
  if (sip.length === 0 && media.length === 0) return undefined;
  return { ...(sip.length ? { sip } : {}), ...(media.length ? { media } : {}) };
}
