// The order in which `make dev` stops the services. Each one drains while the ones it needs are still up:
// the callback service goes first: an application of the public API, it starts no new call once the
// platform drains (the endings it then misses wait in its durable CALL_EVENTS consumer for its next start);
// sip-edge ends its live calls (BYEs through the SIP engine, media released through the media-worker) and
// reports them as facts the orchestrator records; the orchestrator then finishes with the media-worker;
// the recording service stops after the orchestrator (whose call ends stop its recorders) and before the
// media-worker (it ends its forks through it and stores the files it was writing); the stream gateway
// likewise (its streams close with the calls, then it ends their forks through the worker);
// the mixer stops after the media-worker, which ends the routes through it as the calls end (a mixer gone
// first would only make the worker restore them itself);
// the media library and tts serve them prompts until then (a Say or an upload's fetch mid-drain); the SIP
// engine carries every BYE, so it goes last.
export const STOP_ORDER: readonly string[] = [
  'callback',
  'sip-edge',
  'call-orchestrator',
  'recording',
  'stream-gateway',
  'media-worker',
  'mixer',
  'media-library',
  'tts',
  'sip-engine',
];

/**
 * `names` in stopping order. A service the order does not know is stopped first: nothing listed relies on
 * it. Among those, and among duplicates, the given order is kept.
 */
export function stopOrder(names: readonly string[], order: readonly string[] = STOP_ORDER): string[] {
  const rank = (name: string) => order.indexOf(name);
  return names
    .map((name, i) => ({ name, i }))
    .sort((a, b) => rank(a.name) - rank(b.name) || a.i - b.i)
    .map(({ name }) => name);
}
