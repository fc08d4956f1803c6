// What every capability's test builders share: the call's ids and the command metadata.
import { callEvents } from '@callctl/proto';
import type { CommandMetadata } from '../call.commands';

export const CALL = 'C1';
export const STATE = 'app-state';
const { EndCause, PlaybackEndReason, CollectEndReason } = callEvents;
export { EndCause, PlaybackEndReason, CollectEndReason };
export const base = { callId: CALL, clientState: STATE };
export const meta = (newId = 'new-1', idempotencyKey?: string): CommandMetadata => ({
  now: 1_000,
  newId,
  idempotencyKey,
});
