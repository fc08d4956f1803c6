// The leg modules' side of the media plan: they ask the plan where a leg's media is and what to remove, and
// this carries out the removals on the media-worker.
import type { Logger } from '@callctl/logging';
import type { MediaParty, MediaRelease } from '../domain/media-plan.js';
import { IllegalStateError } from '../domain/errors.js';
import type { LegContext } from './leg-context.js';
import { releaseLocalAnswer } from './local-answer.js';
import { idsOf, type Leg } from './leg-registry.js';

/** Where the leg's media is now; a leg the plan no longer holds (it ended) has none. */
export function partyOf(ctx: LegContext, leg: Leg): MediaParty {
  const party = ctx.plan.partyOf(leg.legId);
  if (!party) throw new IllegalStateError(`leg ${leg.legId} has no media`, idsOf(leg));
  return party;
}

/**
 * The leg ended: the plan says which session (if any) nobody is left in, and it is deleted. A session that
 * stays for the call's other legs loses only a caller's prepared branch.
 */
export async function leaveMedia(ctx: LegContext, leg: Leg): Promise<void> {
  const releases = ctx.plan.leave(leg.legId);
  if (releases.length === 0 && leg.direction === 'inbound') void releaseLocalAnswer(ctx, leg);
  await releaseMedia(ctx, leg.log, releases);
}

/** Removes sessions or branches from rtpengine; a failure is logged (rtpengine times them out). */
export async function releaseMedia(
  ctx: LegContext,
  log: Logger,
  releases: readonly MediaRelease[],
): Promise<void> {
  for (const release of releases)
    await ctx.media
      .release(release)
      .catch((error: unknown) => log.warn({ err: error, ...release }, 'media not deleted'));
}
