// A contract double of sip-edge for the orchestrator's own tests: a real gRPC server speaking
// callctl.sipedge.v1.SipEdge that records every request, and publishes the facts sip-edge would publish
// (callctl.facts.v1 on CALLCTL_FACTS) on a real NATS. It is our own internal contract, so this tests the
// orchestrator's side of it; the full SIP path (sipp -> sip-engine -> sip-edge) is sip-edge's e2e test.
import { randomUUID } from 'node:crypto';
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { ensureFactsStream, mediaFactSubject, sipFactSubject, type NatsConnection } from '@callctl/bus';
import { callEvents, facts, sipEdge } from '@callctl/proto';

export type SipEdgeMethod =
  | 'moveLeg'
  | 'answerLeg'
  | 'rejectLeg'
  | 'ringLeg'
  | 'placeCall'
  | 'hangupLeg'
  | 'bridgeLegs'
  | 'listLegs'
  | 'sendDtmfInfo'
  | 'setLegDirection'
  | 'unbridgeLegs'
  | 'referLeg'
  | 'notifyRefer'
  | 'startRecordingSession'
  | 'updateRecordingSession'
  | 'endRecordingSession';
export interface RecordedRequest {
  method: SipEdgeMethod;
  request: Record<string, unknown>;
}

type SipFactCase = NonNullable<facts.SipFact['fact']>;
/** Where a fact stands among its source's facts of the call, and when it happened. */
export type FactStamp = Pick<facts.SipFact, 'sourceSequence' | 'occurredAtMs'>;

export interface RecordingSipEdgeOptions {
  nc: NatsConnection;
  /** Publish the facts sip-edge publishes after each action (LegAnswered after AnswerLeg, ...). @default true */
  reportActions?: boolean;
  /** Called on AnswerLeg before it answers (e.g. to set up the media session as sip-edge does). */
  onAnswer?: (request: sipEdge.AnswerLegRequest) => Promise<void>;
}

/**
 * How a stand-in SRS answers StartRecordingSession, as sip-edge reports it: a 2xx with its SDP, or the
 * status sip-edge gives a refusal (FAILED_PRECONDITION "SIP <n>"), a timeout (DEADLINE_EXCEEDED "SIP 408")
 * or no response (UNAVAILABLE "SIP 503").
 */
export type SrsAnswer =
  { readonly answerSdp: string | ((offer: string) => string) } | { readonly sipStatus: number };

export class RecordingSipEdge {
  readonly requests: RecordedRequest[] = [];
  /** The answer of each SRS URI; one not listed answers 200 with `srs-answer`. */
  readonly srs = new Map<string, SrsAnswer>();
  /** The SRS of each recording session that was answered (its re-INVITEs are answered the same way). */
  private readonly srsOfSession = new Map<string, string>();
  /** Where sip-edge's dial plan sends a PlaceCall's to_uri (OutboundLegSent's trunk or user); none: direct. */
  readonly routes = new Map<string, Pick<facts.OutboundLegSent, 'trunk' | 'user'>>();
  /** What ListLegs answers. */
  heldLegs: sipEdge.EdgeLeg[] = [];
  private readonly failures = new Map<SipEdgeMethod, { code: status; details: string }>();
  private readonly holds = new Map<SipEdgeMethod, Promise<void>>();
  private readonly sequences = new Map<string, number>();
  private server!: Server;
  port = 0;

  private constructor(private readonly o: RecordingSipEdgeOptions) {}

  static async start(o: RecordingSipEdgeOptions): Promise<RecordingSipEdge> {
    const edge = new RecordingSipEdge(o);
    await ensureFactsStream(o.nc);
    await edge.listen();
    return edge;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The next request of this method waits until the returned function is called (once). */
  holdNext(method: SipEdgeMethod): () => void {
    let release!: () => void;
    this.holds.set(method, new Promise<void>((resolve) => (release = resolve)));
    return release;
  }

  /** The next stamp of a source for a call: sequence 1, 2, ... and the time now. */
  stamp(source: 'sip' | 'media', callId: string): FactStamp {
    const key = `${source}|${callId}`;
    const sourceSequence = (this.sequences.get(key) ?? 0) + 1;
    this.sequences.set(key, sourceSequence);
    return { sourceSequence, occurredAtMs: Date.now() };
  }

  /** The next request of this method fails with this status (once). */
  failNext(method: SipEdgeMethod, code: status, details: string): void {
    this.failures.set(method, { code, details });
  }

  received(method: SipEdgeMethod): Array<Record<string, unknown>> {
    return this.requests.filter((r) => r.method === method).map((r) => r.request);
  }

  /**
   * Publishes a SipFact; `msgId` defaults to the fact id (JetStream drops a repeated msgId). Stamped as
   * sip-edge does (the next sequence of the call, now) unless `stamp` says otherwise.
   */
  async publishSipFact(
    callId: string,
    legId: string,
    fact: SipFactCase,
    factId = randomUUID(),
    msgId = factId,
    stamp: FactStamp = this.stamp('sip', callId),
  ) {
    const message: facts.SipFact = { factId, callId, legId, fact, ...stamp };
    await jetstream(this.o.nc).publish(sipFactSubject(callId), facts.SipFact.encode(message).finish(), {
      msgID: msgId,
    });
    return factId;
  }

  /** Publishes a MediaFact, stamped as the media-worker does unless `stamp` says otherwise. */
  async publishMediaFact(
    callId: string,
    fact: NonNullable<facts.MediaFact['fact']>,
    factId = randomUUID(),
    stamp: FactStamp = this.stamp('media', callId),
  ) {
    const message: facts.MediaFact = { factId, callId, sessionId: callId, fact, ...stamp };
    await jetstream(this.o.nc).publish(mediaFactSubject(callId), facts.MediaFact.encode(message).finish(), {
      msgID: factId,
    });
    return factId;
  }

  /**
   * An INVITE arrived: sip-edge picks the ids and reports it. `classified`: what sip-edge's classification
   * added (a trunk's call, or a device's user and where the dial plan routes it).
   */
  async offerInboundCall(
    from = 'sip:caller@127.0.0.1',
    to = 'sip:ivr@127.0.0.1',
    classified: Pick<facts.InboundCallOffered, 'trunk' | 'user' | 'routedTo'> = {},
  ) {
    const callId = randomUUID();
    const legId = randomUUID();
    await this.publishSipFact(callId, legId, {
      $case: 'inboundCallOffered',
      inboundCallOffered: {
        fromUri: from,
        toUri: to,
        sipCallId: `${legId}@127.0.0.1`,
        fromDisplayName: '',
        headers: {},
        ...classified,
      },
    });
    return { callId, legId };
  }

  /** The SRS of a recording session hung up (sip-edge's fact: it names no leg). */
  recordingSessionEnded(callId: string, sessionId: string, sipStatus = 0) {
    return this.publishSipFact(callId, '', {
      $case: 'recordingSessionEnded',
      recordingSessionEnded: { sessionId, sipStatus, reason: sipStatus ? `SIP ${sipStatus}` : 'BYE' },
    });
  }

  private answerTo(answer: { answerSdp: string | ((offer: string) => string) }, offer: string): string {
    return typeof answer.answerSdp === 'string' ? answer.answerSdp : answer.answerSdp(offer);
  }

  /** A provisional on an outbound leg (180 ringing, 183 with early media), as sip-edge reports it. */
  progress(callId: string, legId: string, sipStatus = 180) {
    return this.publishSipFact(callId, legId, {
      $case: 'legProgress',
      legProgress: { sipStatus, earlyMedia: sipStatus === 183 },
    });
  }

  answered(callId: string, legId: string) {
    return this.publishSipFact(callId, legId, { $case: 'legAnswered', legAnswered: {} });
  }

  ended(callId: string, legId: string, cause: callEvents.EndCause, sipStatus = 0, reason = '') {
    return this.publishSipFact(callId, legId, { $case: 'legEnded', legEnded: { cause, sipStatus, reason } });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private async listen(): Promise<void> {
    const handle =
      <Req extends object, Res>(method: SipEdgeMethod, act: (request: Req) => Promise<Res>) =>
      (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
        this.requests.push({ method, request: { ...call.request } as Record<string, unknown> });
        const failure = this.failures.get(method);
        if (failure) {
          this.failures.delete(method);
          callback(failure);
          return;
        }
        const hold = this.holds.get(method);
        this.holds.delete(method);
        (hold ?? Promise.resolve())
          .then(() => act(call.request))
          .then(
            (response) => callback(null, response),
            (error: Error & { code?: status }) =>
              callback({ code: error.code ?? status.INTERNAL, details: error.message }),
          );
      };
    const report = this.o.reportActions ?? true;
    const implementation: sipEdge.SipEdgeServer = {
      sendDtmfInfo: handle('sendDtmfInfo', async () => ({})),
      startRecordingSession: handle(
        'startRecordingSession',
        async (r: sipEdge.StartRecordingSessionRequest) => {
          const answer = this.srs.get(r.srsUri) ?? { answerSdp: 'srs-answer' };
          if ('answerSdp' in answer) {
            this.srsOfSession.set(r.sessionId, r.srsUri);
            return {
              answerSdp: this.answerTo(answer, r.sdp),
              sipCallId: `${r.sessionId}@srs`,
              sipStatus: 200,
            };
          }
          const code =
            answer.sipStatus === 408
              ? status.DEADLINE_EXCEEDED
              : answer.sipStatus === 503
                ? status.UNAVAILABLE
                : status.FAILED_PRECONDITION;
          throw Object.assign(new Error(`SIP ${answer.sipStatus} from ${r.srsUri}`), { code });
        },
      ),
      updateRecordingSession: handle(
        'updateRecordingSession',
        async (r: sipEdge.UpdateRecordingSessionRequest) => {
          const answer = this.srs.get(this.srsOfSession.get(r.sessionId) ?? '');
          if (!r.sdp) return { answerSdp: '' };
          return {
            answerSdp:
              answer && 'answerSdp' in answer ? this.answerTo(answer, r.sdp) : `srs-answer-to-${r.sdp}`,
          };
        },
      ),
      endRecordingSession: handle('endRecordingSession', async () => ({})),
      answerLeg: handle('answerLeg', async (r: sipEdge.AnswerLegRequest) => {
        await this.o.onAnswer?.(r);
        if (report) await this.answered(r.callId, r.legId);
        return {};
      }),
      rejectLeg: handle('rejectLeg', async (r: sipEdge.RejectLegRequest) => {
        if (report)
          await this.ended(r.callId, r.legId, callEvents.EndCause.END_CAUSE_REJECTED, r.sipStatus, r.reason);
        return {};
      }),
      ringLeg: handle('ringLeg', async () => ({})),
      placeCall: handle('placeCall', async (r: sipEdge.PlaceCallRequest) => {
        const sipCallId = `${r.legId}@127.0.0.1`;
        if (report)
          await this.publishSipFact(r.callId, r.legId, {
            $case: 'outboundLegSent',
            outboundLegSent: { sipCallId, ...this.routes.get(r.toUri) },
          });
        return { sipCallId };
      }),
      hangupLeg: handle('hangupLeg', async (r: sipEdge.HangupLegRequest) => {
        if (report)
          await this.ended(r.callId, r.legId, callEvents.EndCause.END_CAUSE_LOCAL_HANGUP, 0, r.reason);
        return {};
      }),
      bridgeLegs: handle('bridgeLegs', async () => ({ mediaSessionId: '' })),
      listLegs: handle('listLegs', async () => ({ legs: this.heldLegs })),
      setLegDirection: handle('setLegDirection', async () => ({ answeredDirection: '' })),
      unbridgeLegs: handle('unbridgeLegs', async () => ({})),
      referLeg: handle('referLeg', async () => ({ sipStatus: 202 })),
      notifyRefer: handle('notifyRefer', async () => ({})),
      moveLeg: handle('moveLeg', async () => ({})),
    };
    this.server = new Server();
    this.server.addService(sipEdge.SipEdgeService, implementation);
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
  }
}
