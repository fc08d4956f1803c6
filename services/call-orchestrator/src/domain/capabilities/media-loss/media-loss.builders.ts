// One-line test builders of media loss: the fact's command and the event it records.
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta, CALL } from '../../testing/builder-base';
import type { MediaLostAction } from './media-loss.decide';

export const LOST_REASON = 'rtpengine no longer has the session';

export const recordMediaSessionLost = (
  action: MediaLostAction = 'hangup',
  sessionId = CALL,
  tags: string[] = [],
): CallCommand => ({
  type: 'RecordMediaSessionLost',
  data: { sessionId, tags, reason: LOST_REASON, action },
  metadata: meta(),
});

export const legMediaLost = (legId: string, sessionId = CALL): CallEvent => ({
  type: 'LegMediaLost',
  data: { ...base, legId, mediaSessionId: sessionId, reason: LOST_REASON },
});
