// Binds the public callctl.v1.CallControl service to the app: each RPC parses its request into a command
// (requests.ts), runs it through the command handler, and maps any failure once (status.ts).
import { randomUUID } from 'node:crypto';
import type { Deadline, Metadata, UntypedServiceImplementation } from '@grpc/grpc-js';
import { callControl } from '@callctl/proto';
import { callEvents } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import { newRootTraceparent, workTraceparent } from '@callctl/telemetry';
import type { CallRepository } from '../../app/call-repository.js';
import { callView } from '../../app/call-view.js';
import type { CommandContext, CommandHandler } from '../../app/handle-command.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { ActiveCallsPage } from '../eventlog/active-calls.js';
import * as requests from './requests.js';
import { toServiceError } from '@callctl/errors/grpc';
import { storeError } from '@callctl/eventstore';
import type { EventWatchers } from './watch-events.js';
import { mediaCommand, type MediaSourcePorts } from '../../app/media-sources.js';

export interface CallControlHandlers {
  handler: CommandHandler;
  calls: CallRepository;
  listActive(pageSize: number, pageToken: string): Promise<ActiveCallsPage>;
  watchers: EventWatchers;
  stamp: requests.Stamp;
  /** Speech and the media library, resolved before a playback or prompt is decided. */
  media: MediaSourcePorts;
  /** Closes a stream StopStream found running (streams.effects.ts StreamWire); absent: no stream gateway. */
  streams?: { close(callId: string, streamId: string, reason: callEvents.StreamStopReason): Promise<void> };
  log: Logger;
}

export const CALL_CONTROL_SERVICE = 'callctl.v1.CallControl';

/**
 * Correlation from the caller (x-correlation-id) or a new one; the request's own id is the causation. The
 * caller's deadline bounds how long a command waits for its events to be recorded.
 */
function contextOf(metadata: Metadata, deadline: Deadline): CommandContext {
  const header = (name: string) => {
    const value = metadata.get(name)[0];
    return typeof value === 'string' && value ? value : undefined;
  };
  const requestId = randomUUID();
  return {
    correlationId: header('x-correlation-id') ?? requestId,
    causationId: requestId,
    // The work in hand is the caller's traceparent, or the server span when spans are on (unaryHandler).
    traceparent: workTraceparent() ?? newRootTraceparent(),
    deadline: deadline instanceof Date ? deadline.getTime() : deadline,
  };
}

export function callControlService(h: CallControlHandlers): ServiceBinding {
  const { handler, stamp, log } = h;
  const withStatus = unaryHandler(log);
  const unary = <Req, Res>(run: (request: Req, context: CommandContext) => Promise<Res>) =>
    withStatus<Req, Res>((request, call) => run(request, contextOf(call.metadata, call.getDeadline())));
  /** Runs a parsed request; returns the id it produced. */
  const send = async (parsed: requests.CallRequest, context: CommandContext) =>
    (await handler.handle(parsed.callId, parsed.command, context)).resultId ?? '';
  /** Resolves a request's media (speech, library ids) in order, then runs its command. */
  const sendResolved = async (parsed: requests.MediaRequest, context: CommandContext) => {
    // The call as this process last saw it, without reading the log: a key, once recorded, stays, so a
    // key found there is recorded; one not found (another instance took the request, or the call is not
    // cached) is resolved, and decide answers the replay all the same (its fingerprint ignores what speech
    // resolved to). Reading the log here would make a play fail while the log is away, which it need not.
    const recorded = async (key: string) => {
      const state = h.calls.cached(parsed.callId)?.state;
      return state?.status === 'active' && key in state.idempotency;
    };
    return send({ callId: parsed.callId, command: await mediaCommand(h.media, parsed, recorded) }, context);
  };

  const implementation: callControl.CallControlServer = {
    startStream: unary(async (r: callControl.StartStreamRequest, c) => ({
      streamId: await send(requests.startStream(r, stamp), c),
    })),
    // StopStream records nothing itself (its result: the stream, when it still runs): the gateway is told
    // to close it, and its StreamClosed fact records StreamStopped with the counters.
    stopStream: unary(async (r: callControl.StopStreamRequest, c) => {
      const parsed = requests.streamControl('StopStream', r, stamp);
      const running = await send(parsed, c);
      if (running && h.streams)
        await h.streams.close(
          parsed.callId,
          running,
          callEvents.StreamStopReason.STREAM_STOP_REASON_REQUESTED,
        );
      return {};
    }),
    pauseStream: unary(async (r: callControl.PauseStreamRequest, c) => {
      await send(requests.streamControl('PauseStream', r, stamp), c);
      return {};
    }),
    resumeStream: unary(async (r: callControl.ResumeStreamRequest, c) => {
      await send(requests.streamControl('ResumeStream', r, stamp), c);
      return {};
    }),
    startSiprec: unary(async (r: callControl.StartSiprecRequest, c) => ({
      siprecId: await send(requests.startSiprec(r, stamp), c),
    })),
    pauseSiprec: unary(async (r: callControl.PauseSiprecRequest, c) => {
      await send(requests.siprecControl('PauseSiprec', r, stamp), c);
      return {};
    }),
    resumeSiprec: unary(async (r: callControl.ResumeSiprecRequest, c) => {
      await send(requests.siprecControl('ResumeSiprec', r, stamp), c);
      return {};
    }),
    stopSiprec: unary(async (r: callControl.StopSiprecRequest, c) => {
      await send(requests.siprecControl('StopSiprec', r, stamp), c);
      return {};
    }),
    say: unary(async (r: callControl.SayRequest, c) => ({
      playbackId: await sendResolved(requests.say(r, stamp), c),
    })),
    sendDtmf: unary(async (r: callControl.SendDtmfRequest, c) => {
      const parsed = requests.sendDtmf(r, stamp);
      const outcome = await handler.handle(parsed.callId, parsed.command, c);
      // The method the effect used, as recorded; a replay answers with the one its key remembered.
      const sent = outcome.decision.events.find((e) => e.type === 'DtmfSent');
      return {
        method: sent?.type === 'DtmfSent' ? sent.data.method : requests.dtmfMethodOf(outcome.resultId ?? ''),
      };
    }),
    setDtmfDetection: unary(async (r: callControl.SetDtmfDetectionRequest, c) => {
      await send(requests.setDtmfDetection(r, stamp), c);
      return {};
    }),
    startRecording: unary(async (r: callControl.StartRecordingRequest, c) => ({
      recordingId: await send(requests.startRecording(r, stamp), c),
    })),
    recordLeg: unary(async (r: callControl.RecordLegRequest, c) => ({
      recordingId: await send(requests.recordLeg(r, stamp), c),
    })),
    pauseRecording: unary(async (r: callControl.PauseRecordingRequest, c) => {
      await send(requests.recordingControl('PauseRecording', r, stamp), c);
      return {};
    }),
    resumeRecording: unary(async (r: callControl.ResumeRecordingRequest, c) => {
      await send(requests.recordingControl('ResumeRecording', r, stamp), c);
      return {};
    }),
    stopRecording: unary(async (r: callControl.StopRecordingRequest, c) => {
      await send(requests.recordingControl('StopRecording', r, stamp), c);
      return {};
    }),
    createCall: unary(async (r: callControl.CreateCallRequest, c) => {
      const parsed = requests.createCall(r, stamp);
      return { callId: parsed.callId, legId: await send(parsed, c) };
    }),
    answerLeg: unary(async (r: callControl.AnswerLegRequest, c) => {
      await send(requests.answerLeg(r, stamp), c);
      return {};
    }),
    rejectLeg: unary(async (r: callControl.RejectLegRequest, c) => {
      await send(requests.rejectLeg(r, stamp), c);
      return {};
    }),
    hangup: unary(async (r: callControl.HangupRequest, c) => {
      await send(requests.hangup(r, stamp), c);
      return {};
    }),
    playMedia: unary(async (r: callControl.PlayMediaRequest, c) => ({
      playbackId: await sendResolved(requests.playMedia(r, stamp), c),
    })),
    stopMedia: unary(async (r: callControl.StopMediaRequest, c) => {
      await send(requests.stopMedia(r, stamp), c);
      return {};
    }),
    collectDigits: unary(async (r: callControl.CollectDigitsRequest, c) => ({
      collectId: await sendResolved(requests.collectDigits(r, stamp), c),
    })),
    startEcho: unary(async (r: callControl.StartEchoRequest, c) => {
      await send(requests.legRequest('StartEcho', r, stamp), c);
      return {};
    }),
    stopEcho: unary(async (r: callControl.StopEchoRequest, c) => {
      await send(requests.legRequest('StopEcho', r, stamp), c);
      return {};
    }),
    bridgeLegs: unary(async (r: callControl.BridgeLegsRequest, c) => ({
      bridgeId: await send(requests.bridgeLegs(r, stamp), c),
    })),
    dial: unary(async (r: callControl.DialRequest, c) => ({
      legId: await send(requests.dial(r, stamp), c),
    })),
    monitorCall: unary(async (r: callControl.MonitorCallRequest, c) => ({
      monitorId: await send(requests.monitorCall(r, stamp), c),
    })),
    setMonitorMode: unary(async (r: callControl.SetMonitorModeRequest, c) => {
      await send(requests.setMonitorMode(r, stamp), c);
      return {};
    }),
    stopMonitor: unary(async (r: callControl.StopMonitorRequest, c) => {
      await send(requests.stopMonitor(r, stamp), c);
      return {};
    }),
    holdLeg: unary(async (r: callControl.HoldLegRequest, c) => {
      await sendResolved(requests.holdLeg(r, stamp), c);
      return {};
    }),
    resumeLeg: unary(async (r: callControl.ResumeLegRequest, c) => {
      await send(requests.legRequest('ResumeLeg', r, stamp), c);
      return {};
    }),
    transferLeg: unary(async (r: callControl.TransferLegRequest, c) => {
      const parsed = requests.transferLeg(r, stamp);
      return { transferId: await send(parsed, c), targetLegId: parsed.targetLegId };
    }),
    startConsultation: unary(async (r: callControl.StartConsultationRequest, c) => {
      const parsed = requests.startConsultation(r, stamp);
      return {
        transferId: await sendResolved(parsed, c),
        consultationLegId: parsed.consultationLegId,
      };
    }),
    completeTransfer: unary(async (r: callControl.CompleteTransferRequest, c) => {
      await send(requests.consultationRequest('CompleteTransfer', r, stamp), c);
      return {};
    }),
    cancelConsultation: unary(async (r: callControl.CancelConsultationRequest, c) => {
      await send(requests.consultationRequest('CancelConsultation', r, stamp), c);
      return {};
    }),
    decideTransfer: unary(async (r: callControl.DecideTransferRequest, c) => {
      await send(requests.decideTransfer(r, stamp), c);
      return {};
    }),
    addParticipant: unary(async (r: callControl.AddParticipantRequest, c) => {
      const parsed = requests.addParticipant(r, stamp);
      return { participantId: await send(parsed, c), legId: parsed.participantLegId };
    }),
    removeParticipant: unary(async (r: callControl.RemoveParticipantRequest, c) => {
      await send(requests.removeParticipant(r, stamp), c);
      return {};
    }),
    getCall: unary(async (r: callControl.GetCallRequest) => {
      if (!r.callId) throw new ValidationError('call_id is required');
      const view = callView(await h.calls.load(r.callId));
      if (!view) throw new NotFoundError(`call ${r.callId} does not exist`, { callId: r.callId });
      return { call: view };
    }),
    listCalls: unary(async (r: callControl.ListCallsRequest) => {
      // The read model's query speaks the store's vocabulary too (PostgreSQL away: UNAVAILABLE).
      const page = await h.listActive(r.pageSize, r.pageToken).catch((error: unknown) => {
        throw storeError(error);
      });
      const calls = await Promise.all(page.callIds.map(async (id) => callView(await h.calls.load(id))));
      return { calls: calls.filter((c) => c !== undefined), nextPageToken: page.nextPageToken };
    }),
    watchEvents: (call) => {
      // grpc-js sends a server stream's status from its 'error' event (then ends it); destroy(error) would
      // close the stream without any status, and the client would wait forever.
      h.watchers
        .serve(call)
        .catch((error: unknown) =>
          call.emit('error', toServiceError(error, log.child({ rpc: 'WatchEvents' }))),
        );
    },
  };
  return {
    name: CALL_CONTROL_SERVICE,
    definition: callControl.CallControlService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
