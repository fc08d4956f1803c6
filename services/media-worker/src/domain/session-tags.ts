// What a tag is in an rtpengine session, read from its `query` reply. Pure. rtpengine 10.5 lists every
// monologue under `tags`, with `subscriptions` / `subscribers` typed `offer/answer` (a call's parties) or
// `pub/sub` (a fork made by subscribe request). A fork's monologue stays listed after its unsubscribe.

/** `party`: a call's participant; `fork`: a subscriber (or what is left of one); `absent`: no such tag. */
export type TagRole = 'party' | 'fork' | 'absent';

interface Link {
  tag?: unknown;
  type?: unknown;
}

function linksOf(value: unknown): Link[] {
  return Array.isArray(value) ? (value as Link[]) : [];
}

/**
 * A fork is a monologue nobody subscribes to whose own subscriptions are all pub/sub (none left after an
 * unsubscribe); anything else (an offer/answer link, or somebody forking it) is a party. StopFork must never
 * `unsubscribe` a party: rtpengine accepts it and the party's call goes silent (seen with 10.5).
 */
export function tagRoleOf(queryReply: Record<string, unknown>, tag: string): TagRole {
  const tags = queryReply.tags;
  if (typeof tags !== 'object' || tags === null) return 'absent';
  const monologue = (tags as Record<string, unknown>)[tag];
  if (typeof monologue !== 'object' || monologue === null) return 'absent';
  const { subscriptions, subscribers } = monologue as { subscriptions?: unknown; subscribers?: unknown };
  if (linksOf(subscribers).length > 0) return 'party';
  return linksOf(subscriptions).every((link) => link.type === 'pub/sub') ? 'fork' : 'party';
}
