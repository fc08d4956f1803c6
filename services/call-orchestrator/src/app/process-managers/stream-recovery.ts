// Every active call's streams that the log says run are asked of the stream gateways (HoldsStream); one
// that no gateway holds was lost with its gateway and is recorded as stopped (GATEWAY_LOST), so that no
// stream stays open in the log: after a restart at once (and a leg stream whose leg ended before this
// process could tell the gateway is closed now), and at each resync when unheld twice in a row (a gateway
// killed meanwhile; StreamWire.recover). Only active calls are looked at: a call that ended between its
// append and the CloseStream (a crash in between) leaves its streams to the gateway (README "Streams").
import type { Logger } from '@callctl/logging';
import type { CallState } from '../../domain/call.state.js';
import type { StreamWire } from '../capabilities/streams.effects.js';

export async function recoverStreams(
  streams: StreamWire | undefined,
  callIds: readonly string[],
  stateOf: (callId: string) => CallState | undefined,
  log: Logger,
  atStart: boolean,
): Promise<number> {
  if (!streams) return 0;
  let lost = 0;
  for (const callId of callIds) {
    const state = stateOf(callId);
    if (!state) continue;
    try {
      lost += await streams.recover(callId, state, atStart);
    } catch (error) {
      log.warn({ callId, err: error }, 'streams of the call not recovered');
    }
  }
  streams.endCheck();
  if (lost > 0) log.info({ lost }, 'streams no gateway holds recorded as lost');
  return lost;
}
