// The public CallControl client (@callctl/client) with the defaults these tests leave out. Each call is
// made once (NO_RETRIES): a test asserts what one call answers.
import {
  createCallControlClient,
  NO_RETRIES,
  type CallControlClient,
  type EventFeed,
  type GrpcStatusError,
} from '@callctl/client';
import type { callControl } from '@callctl/proto';

export class CallControlTestClient {
  readonly api: CallControlClient;

  constructor(address: string) {
    this.api = createCallControlClient({ address, retry: NO_RETRIES });
  }

  createCall = (r: Partial<callControl.CreateCallRequest>) =>
    this.api.createCall({
      toUri: 'sip:bob@127.0.0.1:5090',
      fromUri: 'sip:app@127.0.0.1',
      ringTimeoutMs: 0,
      maxDurationMs: 0,
      clientState: '',
      idempotencyKey: '',
      ...r,
    });
  answerLeg = (callId: string, legId: string, clientState = '') =>
    this.api.answerLeg({ callId, legId, clientState });
  rejectLeg = (callId: string, legId: string, sipStatus = 486, reason = 'Busy Here') =>
    this.api.rejectLeg({ callId, legId, sipStatus, reason });
  hangup = (callId: string, legId = '') => this.api.hangup({ callId, legId });
  playFile = (callId: string, legId: string, fileId: string, idempotencyKey: string) =>
    this.api.playMedia({ callId, legId, media: { $case: 'fileId', fileId }, repeat: 0, idempotencyKey });
  stopMedia = (callId: string, playbackId: string) => this.api.stopMedia({ callId, playbackId });
  collectDigits = (r: Partial<callControl.CollectDigitsRequest> & { callId: string; legId: string }) =>
    this.api.collectDigits({
      maxDigits: 0,
      terminators: '',
      firstDigitTimeoutMs: 0,
      interDigitTimeoutMs: 0,
      idempotencyKey: '',
      ...r,
    });
  startEcho = (callId: string, legId: string) => this.api.startEcho({ callId, legId });
  stopEcho = (callId: string, legId: string) => this.api.stopEcho({ callId, legId });
  dial = (r: Partial<callControl.DialRequest> & { callId: string; bridgeWithLegId: string }) =>
    this.api.dial({
      toUri: 'sip:carol@127.0.0.1:5090',
      fromUri: '',
      ringTimeoutMs: 0,
      idempotencyKey: '',
      ...r,
    });
  monitorCall = (r: Partial<callControl.MonitorCallRequest> & { callId: string }) =>
    this.api.monitorCall({
      supervisorUri: 'sip:sup@127.0.0.1:5090',
      mode: 0,
      whisperLegId: '',
      fromUri: '',
      ringTimeoutMs: 0,
      idempotencyKey: '',
      ...r,
    });
  startStream = (r: Partial<callControl.StartStreamRequest> & { callId: string }) =>
    this.api.startStream({
      legId: '',
      url: 'wss://bot.example.com/media',
      tracks: 0,
      encoding: 0,
      sampleRate: 0,
      bidirectional: false,
      customParameters: {},
      authorization: '',
      idempotencyKey: '',
      clientState: '',
      ...r,
    });
  getCall = async (callId: string) => (await this.api.getCall({ callId })).call!;
  listCalls = (pageSize = 0, pageToken = '') => this.api.listCalls({ pageSize, pageToken });
  /** Without resume: a test sees how the stream itself ended. */
  watch = (fromPosition: number, callId = ''): EventFeed =>
    this.api.watchEvents({ fromPosition, callId }, { resume: false });

  close(): void {
    this.api.close();
  }
}

/** The gRPC error of a call that must fail. */
export async function refused(call: Promise<unknown>): Promise<GrpcStatusError> {
  try {
    await call;
  } catch (error) {
    return error as GrpcStatusError;
  }
  throw new Error('the call succeeded');
}
