// A real grpc-js server for the clients' tests, serving one generated service whose answers each case
// scripts: a handler per unary method, and the server-stream calls handed in turn to the `streams` queue.
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

export type Unary = (call: ServerUnaryCall<unknown, unknown>, answer: sendUnaryData<unknown>) => void;
export type Stream<Request> = (stream: ServerWritableStream<Request, unknown>) => void;

export interface ScriptedServer<StreamRequest> {
  address: string;
  /** What each unary method answers; a method without one answers UNIMPLEMENTED. */
  handlers: Map<string, Unary>;
  /** Each server-stream call takes the first of these. */
  streams: Array<Stream<StreamRequest>>;
  /** Every call received, in order, with its metadata. */
  calls: Array<{ method: string; request: unknown; metadata: Record<string, unknown> }>;
  /** Forgets the handlers and the calls (between cases). */
  reset(): void;
  stop(): void;
}

export const refuse = (code: status, details: string) => ({ code, details });

/** Answers with each handler in turn, the last one from then on (e.g. UNAVAILABLE, then a reply). */
export const inTurn = (...handlers: Unary[]): Unary => {
  return (call, answer) => (handlers.length > 1 ? handlers.shift()! : handlers[0]!)(call, answer);
};

export async function startScriptedServer<StreamRequest = unknown>(
  definition: ServiceDefinition,
): Promise<ScriptedServer<StreamRequest>> {
  const handlers = new Map<string, Unary>();
  const streams: Array<Stream<StreamRequest>> = [];
  const calls: ScriptedServer<StreamRequest>['calls'] = [];
  const implementation: Record<string, unknown> = {};
  for (const [method, { responseStream }] of Object.entries(definition))
    implementation[method] = responseStream
      ? (stream: ServerWritableStream<StreamRequest, unknown>) => {
          calls.push({ method, request: stream.request, metadata: stream.metadata.getMap() });
          streams.shift()?.(stream);
        }
      : (call: ServerUnaryCall<unknown, unknown>, answer: sendUnaryData<unknown>) => {
          calls.push({ method, request: call.request, metadata: call.metadata.getMap() });
          const handler = handlers.get(method);
          if (handler) handler(call, answer);
          else answer(refuse(status.UNIMPLEMENTED, `${method} not scripted`));
        };
  const server = new Server();
  server.addService(definition, implementation as UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    handlers,
    streams,
    calls,
    reset: () => {
      handlers.clear();
      streams.length = 0;
      calls.length = 0;
    },
    stop: () => server.forceShutdown(),
  };
}
