import type { ChannelCredentials } from '@grpc/grpc-js';
import { tts } from '@callctl/proto';
import { PeerClients, Turns, liveOrFallback, type PeerInstances } from '@callctl/service';
import type { TtsPort } from '../../app/ports.js';
import { isPeerError, PEER_ERROR_CODES } from '../../app/errors.js';
import { callPeer, type Unary } from '../peer-call.js';

export interface TtsClientOptions {
  /** host:port of "any" tts instance (TTS_GRPC): used while no instance announced itself. */
  address: string;
  /** Deadline of each synthesis (a cloud provider may take seconds for a long text). */
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
  /** The tts instances alive now (their announcements). @default none: always `address` */
  instances?: PeerInstances;
}

/**
 * TtsPort over the tts service's gRPC Tts service (proto/callctl/tts/v1). Requests are spread over the
 * live instances; one that is unavailable (killed, not yet dropped from the announcements) is retried once
 * on the next. Synthesis owns nothing: media-workers find the speech at whichever instance made it.
 */
export function ttsClient(options: TtsClientOptions): TtsPort & { close(): void } {
  const clients = PeerClients.of(tts.TtsClient, options.credentials);
  const turns = new Turns();
  const next = () =>
    turns.next(liveOrFallback(options.instances ?? { list: () => [] }, options.address)).address;
  const synthesizeAt = async (address: string, r: Parameters<TtsPort['synthesize']>[0]) => {
    const client = clients.at(address);
    return callPeer<tts.SynthesizeRequest, tts.SynthesizeResponse>(
      'tts',
      client.synthesize.bind(client) as Unary<tts.SynthesizeRequest, tts.SynthesizeResponse>,
      {
        provider: r.provider,
        voice: r.voice,
        language: r.language,
        input: r.ssml ? { $case: 'ssml', ssml: r.ssml } : { $case: 'text', text: r.text ?? '' },
        // 0: 8 kHz (the tts service's default, what a telephony leg plays).
        sampleRateHz: 0,
      },
      options.timeoutMs,
    );
  };
  return {
    synthesize: async (r) => {
      const first = next();
      const reply = await synthesizeAt(first, r).catch((error: unknown) => {
        const second = next();
        if (second === first || !isPeerError(error, PEER_ERROR_CODES.unavailable)) throw error;
        return synthesizeAt(second, r);
      });
      return {
        mediaId: reply.mediaId,
        durationMs: reply.durationMs,
        provider: reply.provider,
        voice: reply.voice,
        fallbackFrom: reply.fallbackFrom,
      };
    },
    close: () => clients.close(),
  };
}
