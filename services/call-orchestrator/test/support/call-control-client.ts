// Promise form of the public CallControl client for tests.
import { credentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { callControl } from '@callctl/proto';

type Unary<Req, Res> = (
  request: Req,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

export class CallControlTestClient {
  readonly raw: callControl.CallControlClient;

  constructor(address: string) {
    this.raw = new callControl.CallControlClient(address, credentials.createInsecure());
  }

  private call<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
    return new Promise((resolve, reject) =>
      method.call(this.raw, request, (error, response) => (error ? reject(error) : resolve(response))),
    );
  }

  createCall = (r: Partial<callControl.CreateCallRequest>) =>
    this.call<callControl.CreateCallRequest, callControl.CreateCallResponse>(this.raw.createCall, {
      toUri: 'sip:bob@127.0.0.1:5090',
      fromUri: 'sip:app@127.0.0.1',
      ringTimeoutMs: 0,
      maxDurationMs: 0,
      clientState: '',
      idempotencyKey: '',
      ...r,
    });
  answerLeg = (callId: string, legId: string, clientState = '') =>
    this.call<callControl.AnswerLegRequest, callControl.AnswerLegResponse>(this.raw.answerLeg, {
      callId,
      legId,
      clientState,
    });
  rejectLeg = (callId: string, legId: string, sipStatus = 486, reason = 'Busy Here') =>
    this.call<callControl.RejectLegRequest, callControl.RejectLegResponse>(this.raw.rejectLeg, {
      callId,
      legId,
      sipStatus,
      reason,
    });
  hangup = (callId: string, legId = '') =>
    this.call<callControl.HangupRequest, callControl.HangupResponse>(this.raw.hangup, { callId, legId });
  playFile = (callId: string, legId: string, fileId: string, idempotencyKey: string) =>
    this.call<callControl.PlayMediaRequest, callControl.PlayMediaResponse>(this.raw.playMedia, {
      callId,
      legId,
      media: { $case: 'fileId', fileId },
      repeat: 0,
      idempotencyKey,
    });
  stopMedia = (callId: string, playbackId: string) =>
    this.call<callControl.StopMediaRequest, callControl.StopMediaResponse>(this.raw.stopMedia, {
      callId,
      playbackId,
    });
  collectDigits = (r: Partial<callControl.CollectDigitsRequest> & { callId: string; legId: string }) =>
    this.call<callControl.CollectDigitsRequest, callControl.CollectDigitsResponse>(this.raw.collectDigits, {
      maxDigits: 0,
      terminators: '',
      firstDigitTimeoutMs: 0,
      interDigitTimeoutMs: 0,
      idempotencyKey: '',
      ...r,
    });
  startEcho = (callId: string, legId: string) =>
    this.call<callControl.StartEchoRequest, callControl.StartEchoResponse>(this.raw.startEcho, {
      callId,
      legId,
    });
  stopEcho = (callId: string, legId: string) =>
    this.call<callControl.StopEchoRequest, callControl.StopEchoResponse>(this.raw.stopEcho, {
      callId,
      legId,
    });
  dial = (r: Partial<callControl.DialRequest> & { callId: string; bridgeWithLegId: string }) =>
    this.call<callControl.DialRequest, callControl.DialResponse>(this.raw.dial, {
      toUri: 'sip:carol@127.0.0.1:5090',
      fromUri: '',
      ringTimeoutMs: 0,
      idempotencyKey: '',
      ...r,
    });
  getCall = async (callId: string) =>
    (await this.call<callControl.GetCallRequest, callControl.GetCallResponse>(this.raw.getCall, { callId }))
      .call!;
  listCalls = (pageSize = 0, pageToken = '') =>
    this.call<callControl.ListCallsRequest, callControl.ListCallsResponse>(this.raw.listCalls, {
      pageSize,
      pageToken,
    });
  watch = (fromPosition: number, callId = ''): ClientReadableStream<callControl.WatchEventsResponse> =>
    this.raw.watchEvents({ fromPosition, callId });

  close(): void {
    this.raw.close();
  }
}
