// Announcement ids (8 digits) to what the platform plays (CONTRACT "Request checks"), in order: a
// CALLBACK_ANNOUNCEMENTS entry, a media library file named `<id>` or `<id>.<ext>` (newest wins; the listing
// is cached 30 s), a built-in. Resolved once, at request time, into the CallbackRequested event.
import { ConfigError } from '@callctl/config';
import type { callbackEvents, mediaLibrary } from '@callctl/proto';

export type Announcement = callbackEvents.CallbackAnnouncement;
type Source = NonNullable<Announcement['source']>;

export const DEFAULT_USER1_ANNOUNCEMENT = '00080002';

const BUILT_IN: ReadonlyMap<string, Source> = new Map([
  [DEFAULT_USER1_ANNOUNCEMENT, { $case: 'text', text: 'Please wait while your call is connected.' }],
  ['00080003', { $case: 'text', text: 'The person you are calling cannot be reached. Goodbye.' }],
]);

/** `<id>=file:<media id or file>`, `<id>=url:<https URL>`, `<id>=say:<text with + for spaces>`. */
export function parseAnnouncements(text: string, variable = 'CALLBACK_ANNOUNCEMENTS'): Map<string, Source> {
  const out = new Map<string, Source>();
  for (const entry of text.split(/\s+/).filter(Boolean)) {
    const m = /^([0-9]{8})=(file|url|say):(.+)$/.exec(entry);
    if (!m)
      throw new ConfigError('callback', [
        { variable, problem: `"${entry}": expected <8 digits>=file:<id>, =url:<URL> or =say:<text>` },
      ]);
    const [, id, kind, value] = m as unknown as [string, string, string, string];
    if (kind === 'url' && !/^https?:\/\//.test(value))
      throw new ConfigError('callback', [{ variable, problem: `"${entry}": the URL must be http(s)` }]);
    out.set(
      id,
      kind === 'file'
        ? { $case: 'fileId', fileId: value }
        : kind === 'url'
          ? { $case: 'url', url: value }
          : { $case: 'text', text: value.replace(/\+/g, ' ') },
    );
  }
  return out;
}

/** The media library as the resolver needs it (createMediaLibraryClient fits). */
export interface MediaListing {
  listMedia(request: mediaLibrary.ListMediaRequest): Promise<mediaLibrary.ListMediaResponse>;
}

export interface AnnouncementResolverOptions {
  configured: ReadonlyMap<string, Source>;
  library?: MediaListing;
  /** @default 30000 */
  cacheMs?: number;
  clock?: () => number;
}

export interface AnnouncementResolver {
  /** undefined: no such announcement. Rejects when the media library cannot be asked. */
  resolve(id: string): Promise<Announcement | undefined>;
}

export function createAnnouncementResolver(o: AnnouncementResolverOptions): AnnouncementResolver {
  const cacheMs = o.cacheMs ?? 30_000;
  const clock = o.clock ?? Date.now;
  let cached: { atMs: number; byId: Promise<Map<string, string>> } | undefined;

  /** Library files by announcement id (`<id>` or `<id>.<ext>`), the newest of each. */
  async function listLibrary(library: MediaListing): Promise<Map<string, string>> {
    const newest = new Map<string, { mediaId: string; at: number }>();
    let pageToken = '';
    do {
      const page = await library.listMedia({ pageSize: 500, pageToken });
      for (const m of page.media) {
        const id = /^([0-9]{8})(\.[A-Za-z0-9]+)?$/.exec(m.name)?.[1];
        if (!id) continue;
        const at = m.createdAt?.getTime() ?? 0;
        const known = newest.get(id);
        if (!known || at >= known.at) newest.set(id, { mediaId: m.mediaId, at });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    return new Map([...newest].map(([id, v]) => [id, v.mediaId]));
  }

  function library(): Promise<Map<string, string>> {
    const now = clock();
    if (!o.library) return Promise.resolve(new Map());
    if (!cached || now - cached.atMs >= cacheMs) {
      const byId = listLibrary(o.library);
      cached = { atMs: now, byId };
      // A failed listing is not kept: the next request asks again.
      byId.catch(() => {
        if (cached?.byId === byId) cached = undefined;
      });
    }
    return cached.byId;
  }

  return {
    async resolve(id) {
      const configured = o.configured.get(id);
      if (configured) return { announcementId: id, source: configured };
      const builtIn = BUILT_IN.get(id);
      let mediaId: string | undefined;
      try {
        mediaId = (await library()).get(id);
      } catch (error) {
        // The library being down must not stop the default announcement: the built-in plays instead.
        if (!builtIn) throw error;
      }
      if (mediaId) return { announcementId: id, source: { $case: 'fileId', fileId: mediaId } };
      return builtIn ? { announcementId: id, source: builtIn } : undefined;
    },
  };
}
