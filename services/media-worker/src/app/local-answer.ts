import { localAnswerSdp, type LocalEndpoint } from '../domain/local-answer-sdp.js';
import type { MediaRelay, OfferParams } from './ports.js';

/**
 * Answers an offer the relay took with the worker's own sink as the answering party: a one-sided session
 * (IVR) needs both halves before rtpengine plays, echoes or reports DTMF. `offered` is the relay's SDP for
 * the answerer; returns the SDP for the offerer.
 */
export function answerWithSink(
  relay: MediaRelay,
  sink: LocalEndpoint,
  offer: OfferParams,
  localTag: string,
  offered: string,
): Promise<string> {
  return relay.answer({
    sessionId: offer.sessionId,
    fromTag: offer.fromTag,
    toTag: localTag,
    sdp: localAnswerSdp(offered, sink, Date.now()),
    ...(offer.injectDtmf ? { injectDtmf: true } : {}),
    ...(offer.portLatching ? { portLatching: true } : {}),
    ...(offer.offererProfile ? { profile: offer.offererProfile } : {}),
  });
}
