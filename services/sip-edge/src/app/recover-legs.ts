import { callEvents } from '@callctl/proto';
import { callSessionId } from '../domain/media-plan.js';
import { legEnded } from '../domain/sip-facts.js';
import { UnavailableError } from '../domain/errors.js';
import type { LegContext } from './leg-context.js';
import type { JournalEntry } from './leg-journal.js';

/** Reason on the LegEnded facts and BYEs of legs a restarted sip-edge could not keep. */
export const RESTART_REASON = 'sip-edge restarted';

/**
 * How long a session whose media-worker is unreachable (restarting too, as after a node's crash) is tried
 * again, in the background: rtpengine's own no-media timeout (60 s) would drop it later anyway.
 */
export const RELEASE_RETRY_MS = { first: 250, max: 2000, giveUpAfter: 60_000 } as const;

/**
 * After a restart sip-edge holds no srf objects for the legs of its previous run, so it cannot control
 * them. It ends each one cleanly: BYE through the engine for an answered leg (the engine keeps dialogs of
 * a disconnected app, and has already answered 480 to INVITEs that were still waiting), LegEnded
 * (PLATFORM_FAILURE) for every leg, the media session deleted, and the record forgotten.
 */
export async function endRecoveredLegs(ctx: LegContext, entries: readonly JournalEntry[]): Promise<number> {
  const sessions = new Set<string>();
  for (const entry of entries) {
    const log = ctx.log.child({ callId: entry.callId, legId: entry.legId });
    if (entry.dialogId) {
      await ctx.sip
        .request({
          method: 'BYE',
          stackDialogId: entry.dialogId,
          headers: { Reason: `Q.850;cause=41;text="${RESTART_REASON}"` },
        })
        .catch((error: unknown) => log.warn({ err: error }, 'BYE of a recovered leg not sent'));
    }
    const status = entry.dialogId ? 0 : entry.direction === 'inbound' ? 480 : 0;
    await ctx.facts
      .publish(
        legEnded(
          { factId: ctx.newId(), callId: entry.callId, legId: entry.legId },
          callEvents.EndCause.END_CAUSE_PLATFORM_FAILURE,
          status,
          RESTART_REASON,
        ),
      )
      .catch((error: unknown) => log.error({ err: error }, 'LegEnded of a recovered leg not stored'));
    ctx.journal.forget(entry.legId);
    sessions.add(entry.mediaSessionId || callSessionId(entry.callId));
    log.warn({ answered: Boolean(entry.dialogId) }, 'leg of the previous run ended');
  }
  for (const sessionId of sessions) {
    await ctx.media.release({ sessionId }).catch((error: unknown) => {
      if (error instanceof UnavailableError) void releaseLater(ctx, sessionId, error);
      else ctx.log.debug({ err: error, sessionId }, 'no media session to delete');
    });
  }
  return entries.length;
}

/** Deletes the session once its media-worker answers again, within RELEASE_RETRY_MS.giveUpAfter. */
async function releaseLater(ctx: LegContext, sessionId: string, first: unknown): Promise<void> {
  const giveUpAt = Date.now() + RELEASE_RETRY_MS.giveUpAfter;
  let delay: number = RELEASE_RETRY_MS.first;
  let failure = first;
  while (Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, delay).unref());
    delay = Math.min(delay * 2, RELEASE_RETRY_MS.max);
    try {
      await ctx.media.release({ sessionId });
      ctx.log.info({ sessionId }, 'media session of the previous run deleted once its media-worker answered');
      return;
    } catch (error) {
      failure = error;
      if (!(error instanceof UnavailableError)) break;
    }
  }
  ctx.log.warn({ err: failure, sessionId }, 'media session of the previous run not deleted');
}
