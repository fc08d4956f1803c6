import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { tts } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import type { Synthesizer } from '../../app/synthesizer.js';

export const TTS_SERVICE = 'callctl.tts.v1.Tts';

/** The caller's deadline as a signal; `fallbackMs` when it set none. */
export function deadlineSignal(call: ServerUnaryCall<unknown, unknown>, fallbackMs: number): AbortSignal {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  const remaining = Number.isFinite(at) ? Math.max(0, at - Date.now()) : fallbackMs;
  return AbortSignal.timeout(remaining);
}

export function ttsService(options: {
  synthesizer: Synthesizer;
  requestTimeoutMs: number;
  log: Logger;
}): ServiceBinding {
  const unary = unaryHandler(options.log);
  const implementation: tts.TtsServer = {
    synthesize: unary(async (request: tts.SynthesizeRequest, call): Promise<tts.SynthesizeResponse> => {
      const spoken = await options.synthesizer.synthesize(
        request,
        deadlineSignal(call, options.requestTimeoutMs),
      );
      return {
        mediaId: spoken.mediaId,
        durationMs: spoken.durationMs,
        provider: spoken.provider,
        voice: spoken.voice,
        fallbackFrom: spoken.fallbackFrom ?? '',
        cached: spoken.cached,
      };
    }),
  };
  return {
    name: TTS_SERVICE,
    definition: tts.TtsService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
