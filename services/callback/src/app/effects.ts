// Sends a callback's commands over the public CallControl API. Each carries its step's idempotency key (a
// Hangup is safe to repeat), so a retry, a redelivered event or a restart never does a thing twice. The
// platform being unreachable is waited out for up to `retryForMs`; then, and on any other refusal, the
// command's outcome is a refusal that decide() turns into what the callback does next.
import type { CallControlClient } from '@callctl/client';
import { errorKindOf } from '@callctl/errors';
import type { CallbackCommand, CommandOutcome } from '../domain/callback.decide.js';

export type CallControlPort = Pick<
  CallControlClient,
  'createCall' | 'dial' | 'playMedia' | 'say' | 'bridgeLegs' | 'hangup'
>;

export interface EffectsOptions {
  api: CallControlPort;
  /** How long an unreachable platform is waited out. @default 60000 */
  retryForMs?: number;
  /**
   * The same for a prompt: one that cannot be played is skipped rather than holding the callback up (the
   * platform answers UNAVAILABLE for a tts service down too). @default 5000
   */
  playRetryForMs?: number;
  /** @default 200 */
  firstRetryMs?: number;
  /** @default 5000 */
  maxRetryMs?: number;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return errorKindOf(error) === 'unavailable' || code === 'DEADLINE_EXCEEDED' || code === 'UNAVAILABLE';
}

export async function send(api: CallControlPort, c: CallbackCommand): Promise<CommandOutcome> {
  switch (c.type) {
    case 'CreateCall': {
      const r = await api.createCall({
        toUri: c.toUri,
        fromUri: c.fromUri,
        ringTimeoutMs: c.ringTimeoutMs,
        maxDurationMs: c.maxDurationMs,
        clientState: c.clientState,
        idempotencyKey: c.key,
      });
      return { ok: true, callId: r.callId, legId: r.legId };
    }
    case 'Dial': {
      const r = await api.dial({
        callId: c.callId,
        bridgeWithLegId: c.bridgeWithLegId,
        toUri: c.toUri,
        fromUri: c.fromUri,
        ringTimeoutMs: c.ringTimeoutMs,
        idempotencyKey: c.key,
      });
      return { ok: true, legId: r.legId };
    }
    case 'Play': {
      const source = c.announcement.source;
      if (!source) return { ok: false, code: 'INVALID_ARGUMENT', message: 'announcement without a source' };
      const target = { callId: c.callId, legId: c.legId, idempotencyKey: c.key };
      const r =
        source.$case === 'text'
          ? await api.say({ ...target, speech: { input: { $case: 'text', text: source.text } } })
          : await api.playMedia({
              ...target,
              media:
                source.$case === 'url'
                  ? { $case: 'url', url: source.url }
                  : { $case: 'fileId', fileId: source.fileId },
            });
      return { ok: true, playbackId: r.playbackId };
    }
    case 'BridgeLegs':
      await api.bridgeLegs({ callId: c.callId, legAId: c.legAId, legBId: c.legBId, idempotencyKey: c.key });
      return { ok: true };
    case 'Hangup':
      await api.hangup({ callId: c.callId, legId: '' });
      return { ok: true };
  }
}

export function createEffects(o: EffectsOptions) {
  const retryForMs = o.retryForMs ?? 60_000;
  const clock = o.clock ?? Date.now;
  const sleep = o.sleep ?? defaultSleep;
  return {
    /** Never rejects: a refusal is an outcome. */
    async run(c: CallbackCommand): Promise<CommandOutcome> {
      const until = clock() + (c.type === 'Play' ? (o.playRetryForMs ?? 5000) : retryForMs);
      let delayMs = o.firstRetryMs ?? 200;
      for (;;) {
        try {
          return await send(o.api, c);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          const message = error instanceof Error ? error.message : String(error);
          if (!isTransient(error) || clock() + delayMs > until)
            return { ok: false, code: typeof code === 'string' ? code : 'UNKNOWN', message };
          await sleep(delayMs);
          delayMs = Math.min(delayMs * 2, o.maxRetryMs ?? 5000);
        }
      }
    },
  };
}

export type Effects = ReturnType<typeof createEffects>;
