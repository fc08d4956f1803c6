import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { tts } from '@callctl/proto';
import type { TtsPort } from '../../app/ports.js';
import { callPeer, type Unary } from '../peer-call.js';

export interface TtsClientOptions {
  /** host:port of the tts service's gRPC server. */
  address: string;
  /** Deadline of each synthesis (a cloud provider may take seconds for a long text). */
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
}

/** TtsPort over the tts service's gRPC Tts service (proto/callctl/tts/v1). */
export function ttsClient(options: TtsClientOptions): TtsPort & { close(): void } {
  const client = new tts.TtsClient(options.address, options.credentials ?? credentials.createInsecure());
  return {
    synthesize: async (r) => {
      const reply = await callPeer<tts.SynthesizeRequest, tts.SynthesizeResponse>(
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
      return {
        mediaId: reply.mediaId,
        durationMs: reply.durationMs,
        provider: reply.provider,
        voice: reply.voice,
        fallbackFrom: reply.fallbackFrom,
      };
    },
    close: () => client.close(),
  };
}
