// The promise client of the public callctl.v1.CallControl API: what callctl, the benchmark's application,
// the tests and the coming callback service use instead of the generated callback client. Types come from
// the generated service definition (@callctl/proto), never written out here.
import { callControl } from '@callctl/proto';
import { connectionOf } from './client-connection.js';
import { watchEvents, type EventFeed, type WatchOptions } from './event-feed.js';
import { DEFAULT_DEADLINE_MS, type CallOptions, type ClientOptions } from './client-options.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { metadataOf, unaryMethods, waitForReady } from './unary-call.js';

type Definition = typeof callControl.CallControlService;

/** The unary methods of CallControl, by their generated (camelCase) names. */
export type UnaryMethod = {
  [K in keyof Definition]: Definition[K]['responseStream'] extends false ? K : never;
}[keyof Definition];
/** The request as sent on the wire: every field present. */
type WireRequestOf<M extends UnaryMethod> = Parameters<Definition[M]['requestSerialize']>[0];
/**
 * What a method takes: fields left out get their proto3 defaults, so code written against an older
 * version of the API keeps compiling when a request gains a field.
 */
export type RequestOf<M extends UnaryMethod> = callControl.DeepPartial<WireRequestOf<M>>;
export type ResponseOf<M extends UnaryMethod> = ReturnType<Definition[M]['responseDeserialize']>;

/** Each method's request type, to fill in the fields a caller left out. */
const REQUEST_TYPES: { readonly [M in UnaryMethod]: callControl.MessageFns<WireRequestOf<M>> } = {
  createCall: callControl.CreateCallRequest,
  answerLeg: callControl.AnswerLegRequest,
  rejectLeg: callControl.RejectLegRequest,
  hangup: callControl.HangupRequest,
  playMedia: callControl.PlayMediaRequest,
  stopMedia: callControl.StopMediaRequest,
  collectDigits: callControl.CollectDigitsRequest,
  startEcho: callControl.StartEchoRequest,
  stopEcho: callControl.StopEchoRequest,
  bridgeLegs: callControl.BridgeLegsRequest,
  dial: callControl.DialRequest,
  getCall: callControl.GetCallRequest,
  listCalls: callControl.ListCallsRequest,
  say: callControl.SayRequest,
  sendDtmf: callControl.SendDtmfRequest,
  setDtmfDetection: callControl.SetDtmfDetectionRequest,
  startRecording: callControl.StartRecordingRequest,
  pauseRecording: callControl.PauseRecordingRequest,
  resumeRecording: callControl.ResumeRecordingRequest,
  stopRecording: callControl.StopRecordingRequest,
  recordLeg: callControl.RecordLegRequest,
  monitorCall: callControl.MonitorCallRequest,
  setMonitorMode: callControl.SetMonitorModeRequest,
  stopMonitor: callControl.StopMonitorRequest,
  holdLeg: callControl.HoldLegRequest,
  resumeLeg: callControl.ResumeLegRequest,
  transferLeg: callControl.TransferLegRequest,
  startConsultation: callControl.StartConsultationRequest,
  completeTransfer: callControl.CompleteTransferRequest,
  cancelConsultation: callControl.CancelConsultationRequest,
  decideTransfer: callControl.DecideTransferRequest,
  addParticipant: callControl.AddParticipantRequest,
  removeParticipant: callControl.RemoveParticipantRequest,
  startStream: callControl.StartStreamRequest,
  stopStream: callControl.StopStreamRequest,
  pauseStream: callControl.PauseStreamRequest,
  resumeStream: callControl.ResumeStreamRequest,
  startSiprec: callControl.StartSiprecRequest,
  pauseSiprec: callControl.PauseSiprecRequest,
  resumeSiprec: callControl.ResumeSiprecRequest,
  stopSiprec: callControl.StopSiprecRequest,
};

export const UNARY_METHODS = (Object.keys(callControl.CallControlService) as Array<keyof Definition>).filter(
  (name): name is UnaryMethod => !callControl.CallControlService[name].responseStream,
);

/**
 * BridgeLegs may take up to 20 s when far ends are slow to answer re-INVITEs (see the proto), so its
 * default deadline leaves room above that.
 */
export const BRIDGE_LEGS_DEADLINE_MS = 25_000;

/** As every client of the public API (ClientOptions); BridgeLegs takes at least BRIDGE_LEGS_DEADLINE_MS. */
export type CallControlClientOptions = ClientOptions;

type UnaryMethods = {
  readonly [M in UnaryMethod]: (request: RequestOf<M>, options?: CallOptions) => Promise<ResponseOf<M>>;
};

/**
 * Every unary RPC as a promise (the methods are bound: `const { getCall } = client` works). A refusal
 * rejects with a GrpcStatusError (@callctl/errors/grpc): `kind` for code, `status` and `details` as sent.
 */
export interface CallControlClient extends UnaryMethods {
  /** Events from a log position, stored then live, as an async iterable that resumes after a drop. */
  watchEvents(request: callControl.WatchEventsRequest, options?: WatchOptions): EventFeed;
  /** Resolves once connected; rejects with UNAVAILABLE if not within timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

export function createCallControlClient(options: CallControlClientOptions): CallControlClient {
  const connection = connectionOf(options);
  const client = new callControl.CallControlClient(options.address, connection.credentials);
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const clientDeadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;

  const ready = (timeoutMs: number) => waitForReady(client, options.address, timeoutMs);

  const unary = unaryMethods<UnaryMethods>({
    client,
    definition: callControl.CallControlService,
    requestTypes: REQUEST_TYPES,
    connection,
    retry,
    deadlineMs: (method) =>
      method === 'bridgeLegs' ? Math.max(clientDeadlineMs, BRIDGE_LEGS_DEADLINE_MS) : clientDeadlineMs,
  });

  return {
    ...unary,
    watchEvents: (request, watchOptions = {}) =>
      watchEvents(
        {
          rpc: 'WatchEvents',
          open: (from, metadata) => client.watchEvents({ ...request, fromPosition: from }, metadata),
          waitForReady: ready,
          metadata: (extra) => metadataOf(connection.metadata, extra),
          reconnectTimeoutMs: clientDeadlineMs,
        },
        request.fromPosition,
        watchOptions,
      ),
    waitForReady: ready,
    close: () => client.close(),
  };
}
