// The one server-side unary wrapper: every gRPC service of the platform turns its promise-returning
// handlers into grpc-js handlers here, so every failure goes through the one status table
// (@callctl/errors/grpc).
import { Metadata, type sendUnaryData, type ServerUnaryCall, type status } from '@grpc/grpc-js';
import { toServiceError } from '@callctl/errors/grpc';
import type { Logger } from '@callctl/logging';
import { activeSpanTraceparent, runInTrace } from '@callctl/telemetry';

/**
 * A refusal answered with exactly this status and message. For the statuses no error kind stands for
 * (RESOURCE_EXHAUSTED of an admission limit): everything else goes through the one table of
 * @callctl/errors/grpc.
 */
export class StatusRefusal extends Error {
  override readonly name = 'StatusRefusal';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A grpc-js unary handler from a promise-returning function of the request (and the call, for its
 * metadata): the reply on success, and on failure the status from toServiceError, logged with the RPC's
 * path. A synchronous throw is mapped the same way. The handler runs under the caller's trace (its
 * `traceparent` metadata, or the gRPC server span when spans are on), so what it causes (facts, internal calls, log lines) carries that trace.
 */
export function unaryHandler(log: Logger) {
  return <Req, Res>(run: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      let running: Promise<Res>;
      const [traceparent] = call.metadata.get('traceparent');
      try {
        // With spans on, the instrumentation's server span (itself the caller's child) is the work's parent.
        running = runInTrace(
          activeSpanTraceparent() ?? (typeof traceparent === 'string' ? traceparent : undefined),
          () => run(call.request, call),
        );
      } catch (error) {
        running = Promise.reject(error as Error);
      }
      running.then(
        (response) => callback(null, response),
        (error: unknown) =>
          callback(
            error instanceof StatusRefusal
              ? { code: error.code, details: error.message, message: error.message, metadata: new Metadata() }
              : toServiceError(error, log.child({ rpc: call.getPath() })),
          ),
      );
    };
}
