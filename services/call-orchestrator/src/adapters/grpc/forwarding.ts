// What the proxies of public services (media-library-proxy.ts, recordings-proxy.ts) share: messages pass as
// bytes, the caller's trace and correlation id go along, the deadline is the caller's or ours when sooner,
// and the peer's status reaches the caller unchanged, except that a peer we could not reach is named.
import {
  Metadata,
  status,
  type Client,
  type Deadline,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';

/** Headers the peer needs to continue the caller's work: the trace and the correlation id. */
const FORWARDED_HEADERS = ['traceparent', 'x-correlation-id'] as const;

export const bytes = (value: Buffer): Buffer => value;

/** The service's methods with the messages left as bytes on both sides. */
export function rawDefinition(definition: Record<string, object>): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [
      name,
      {
        ...method,
        requestSerialize: bytes,
        requestDeserialize: bytes,
        responseSerialize: bytes,
        responseDeserialize: bytes,
      },
    ]),
  ) as ServiceDefinition;
}

export function headersOf(incoming: Metadata): Metadata {
  const metadata = new Metadata();
  for (const name of FORWARDED_HEADERS) {
    const [value] = incoming.get(name);
    if (typeof value === 'string' && value) metadata.set(name, value);
  }
  return metadata;
}

/** The caller's deadline, or now + limitMs when that is sooner (or the caller set none). */
export function sooner(deadline: Deadline, limitMs: number): number {
  const callers = deadline instanceof Date ? deadline.getTime() : deadline;
  const ours = Date.now() + limitMs;
  return Number.isFinite(callers) ? Math.min(callers, ours) : ours;
}

/** The peer's answer for our caller: as it is, except that a failure to reach it says so. */
export const forwardedError =
  (peer: string, address: string, log: Logger) =>
  (error: ServiceError, rpc: string): Partial<ServiceError> => {
    const reached = error.code !== status.UNAVAILABLE && error.code !== status.DEADLINE_EXCEEDED;
    if (reached) return { code: error.code, details: error.details, metadata: new Metadata() };
    log.warn({ rpc, address, code: status[error.code], details: error.details }, `${peer} call failed`);
    const what = error.code === status.UNAVAILABLE ? 'is unavailable' : 'did not answer in time';
    return { code: error.code, details: `${peer} ${what}: ${error.details}`, metadata: new Metadata() };
  };

/**
 * A unary method forwarded as it is: the caller's bytes and headers go to the peer under the sooner
 * deadline, the peer's answer (or its status, `forwarded`) comes back, and a caller that cancels cancels it.
 */
export const forwardUnary =
  (
    client: Client,
    path: string,
    timeoutMs: number,
    forwarded: (error: ServiceError, rpc: string) => Partial<ServiceError>,
  ) =>
  (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    const upstream = client.makeUnaryRequest(
      path,
      bytes,
      bytes,
      call.request,
      headersOf(call.metadata),
      { deadline: sooner(call.getDeadline(), timeoutMs) },
      (error, response) => (error ? callback(forwarded(error, path)) : callback(null, response)),
    );
    call.on('cancelled', () => upstream.cancel());
  };
