// SIPREC recording sessions (RFC 7866), the platform as recording client: one INVITE dialog per session
// with a Session Recording Server, whose media is a recording fork the media-worker made (the SDP comes in
// ready). A session is sip-edge's own and no leg: it is never in the leg registry, ListLegs or leg facts,
// and it never touches a leg. The orchestrator drives it; the recorder ending it (BYE) is reported as a
// RecordingSessionEnded fact on the call's subject, stamped in the call's sequence like every SipFact.
import type { Logger } from '@callctl/logging';
import { formatReason, parseUri, type RecordingMetadata } from '@callctl/sip';
import { checkDialUri } from '../domain/dial-target.js';
import {
  RecordingSessionNotFoundError,
  TimeoutError,
  UnavailableError,
  ValidationError,
} from '../domain/errors.js';
import {
  nextRecordingOffer,
  recordingBody,
  recordingFailure,
  recordingHeaders,
  sdpOfAnswer,
  type RecordingDirection,
} from '../domain/recording-invite.js';
import { recordingSessionEnded } from '../domain/sip-facts.js';
import type { FactSink } from './ports.js';
import { isDialog, isSipFailure, type SentRequest, type SipDialog, type SipStack } from './sip-stack.js';

/** @default 8000: StartRecordingSession's timeout_ms when 0 (sip_edge.proto), and a re-INVITE's. */
export const DEFAULT_RECORDING_INVITE_TIMEOUT_MS = 8000;
/** A BYE at EndRecordingSession or shutdown is waited for this long at most. */
const BYE_TIMEOUT_MS = 5000;

export interface RecordingSessionsDeps {
  sip: SipStack;
  facts: FactSink;
  log: Logger;
  newId(): string;
  /** From of the INVITEs (the legs' default From). */
  fromUri: string;
}

export interface StartRecordingInput {
  sessionId: string;
  callId: string;
  srsUri: string;
  sdp: string;
  metadata: RecordingMetadata;
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
}

export interface StartedRecording {
  answerSdp: string;
  sipCallId: string;
  sipStatus: number;
}

interface RecordingSession {
  sessionId: string;
  callId: string;
  contact: string;
  log: Logger;
  state: 'inviting' | 'up' | 'ending' | 'ended';
  sent?: SentRequest;
  dialog?: SipDialog;
  /** The SDP offer last sent (the multipart body's SDP part). */
  offerSdp: string;
  started: Promise<StartedRecording>;
}

export class RecordingSessions {
  private readonly sessions = new Map<string, RecordingSession>();

  constructor(private readonly deps: RecordingSessionsDeps) {}

  /** Sends the INVITE; resolves with the recorder's answer once it answered 2xx. Idempotent while up. */
  start(input: StartRecordingInput): Promise<StartedRecording> {
    const context = { sessionId: input.sessionId, callId: input.callId };
    if (!input.sessionId || !input.callId)
      throw new ValidationError('session_id and call_id are required', context);
    const existing = this.sessions.get(input.sessionId);
    if (existing && (existing.state === 'inviting' || existing.state === 'up')) return existing.started;
    const srsUri = checkDialUri(input.srsUri, 'srs_uri', context);
    if (!/^m=audio /m.test(input.sdp)) throw new ValidationError('sdp has no audio m-line', context);
    const contact = this.deps.sip.contactUri(transportOf(srsUri));
    if (!contact) throw recordingFailure({ transport: 'SIP engine has no listener for the SRS' }, context);
    const body = recordingBody(input.sdp, input.metadata);
    const headers = {
      ...recordingHeaders(contact, input.headers, body.contentType),
      From: `<${this.deps.fromUri}>`,
    };
    const session: RecordingSession = {
      sessionId: input.sessionId,
      callId: input.callId,
      contact,
      log: this.deps.log.child(context),
      state: 'inviting',
      offerSdp: input.sdp,
      started: Promise.resolve({ answerSdp: '', sipCallId: '', sipStatus: 0 }),
    };
    this.sessions.set(session.sessionId, session);
    session.started = this.invite(session, srsUri, headers, body.body, input.timeoutMs);
    session.started.catch(() => undefined);
    return session.started;
  }

  /** Re-INVITE with a new offer (or the current one, redirected) and new metadata; the recorder's answer. */
  async update(input: {
    sessionId: string;
    sdp: string;
    metadata: RecordingMetadata;
    direction?: RecordingDirection;
  }): Promise<string> {
    const session = this.sessions.get(input.sessionId);
    if (!session?.dialog || session.state !== 'up')
      throw new RecordingSessionNotFoundError(`no recording session ${input.sessionId}`, {
        sessionId: input.sessionId,
      });
    const context = { sessionId: session.sessionId, callId: session.callId };
    const offer = nextRecordingOffer(session.offerSdp, input.sdp || session.offerSdp, input.direction);
    const body = recordingBody(offer, input.metadata);
    const dialog = session.dialog;
    const pending = dialog.modify(body.body, {
      headers: { 'Content-Type': body.contentType, 'MIME-Version': '1.0', Contact: session.contact },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(recordingFailure({ timeout: true }, context)),
        DEFAULT_RECORDING_INVITE_TIMEOUT_MS,
      );
    });
    let answer: string;
    try {
      answer = await Promise.race([pending, timeout]);
    } catch (error) {
      if (error instanceof TimeoutError) throw error;
      if (!isSipFailure(error))
        throw recordingFailure(
          { transport: error instanceof Error ? error.message : String(error) },
          context,
        );
      // The dialog is gone at the recorder (481) or it stopped answering (408): the session is over.
      if (error.status === 481 || error.status === 408) {
        this.ended(session, error.status, `re-INVITE answered ${error.status}`);
        void dialog.destroy().catch(() => undefined);
      }
      throw recordingFailure({ status: error.status, reason: error.reason }, context);
    } finally {
      clearTimeout(timer);
    }
    session.offerSdp = offer;
    session.log.info({ direction: input.direction }, 'recording session updated');
    return sdpOfAnswer(answer);
  }

  /** BYE (CANCEL while the INVITE is pending); an unknown or ended session is fine. */
  async end(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    if (session.state === 'inviting') {
      session.state = 'ended';
      this.sessions.delete(sessionId);
      cancel(session);
      return;
    }
    if (session.state !== 'up' || !session.dialog) return;
    session.state = 'ending';
    await byeWithin(session.dialog, BYE_TIMEOUT_MS).catch((error: unknown) =>
      session.log.warn({ err: error }, 'BYE to the recorder failed'),
    );
    session.state = 'ended';
    this.sessions.delete(sessionId);
    session.log.info('recording session ended');
  }

  /** Ends every session (shutdown); the number there were. */
  async endAll(): Promise<number> {
    const ids = [...this.sessions.keys()];
    await Promise.all(ids.map((id) => this.end(id)));
    return ids.length;
  }

  private invite(
    session: RecordingSession,
    srsUri: string,
    headers: Record<string, string>,
    body: string,
    requestedTimeoutMs: number,
  ): Promise<StartedRecording> {
    const context = { sessionId: session.sessionId, callId: session.callId };
    const timeoutMs = requestedTimeoutMs || DEFAULT_RECORDING_INVITE_TIMEOUT_MS;
    return new Promise<StartedRecording>((resolve, reject) => {
      let sipCallId = '';
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (session.state === 'inviting') {
          session.state = 'ended';
          this.sessions.delete(session.sessionId);
        }
        session.log.info({ err: error.message }, 'recording session not established');
        reject(error);
      };
      const timer = setTimeout(() => {
        cancel(session);
        fail(recordingFailure({ timeout: true }, context));
      }, timeoutMs);
      this.deps.sip
        .createUAC(
          srsUri,
          { headers, localSdp: body },
          {
            cbRequest: (error, request) => {
              if (error || !request) return;
              session.sent = request;
              sipCallId = request.get('Call-ID') ?? '';
              session.log.info({ srsUri, sipCallId, timeoutMs }, 'recording session INVITE sent');
              // Ended (EndRecordingSession) before the INVITE was out: cancel it now.
              if (session.state === 'ended') cancel(session);
            },
            cbProvisional: () => undefined,
          },
        )
        .then(
          (result) => {
            if (!isDialog(result)) {
              // No SDP in the 2xx would make a late offer: the INVITE always carries one, so this is not SIPREC.
              void result.destroy().catch(() => undefined);
              return fail(new UnavailableError('SIP 503 the recorder answered without SDP', context));
            }
            const dialog = result;
            if (session.state !== 'inviting') {
              // Timed out or ended while the 2xx was on its way: nobody wants this dialog.
              void dialog.destroy().catch(() => undefined);
              return;
            }
            let answerSdp: string;
            try {
              answerSdp = sdpOfAnswer(dialog.remote.sdp);
            } catch (error) {
              void dialog.destroy().catch(() => undefined);
              return fail(error as Error);
            }
            clearTimeout(timer);
            session.dialog = dialog;
            session.state = 'up';
            this.watch(session, dialog);
            session.log.info({ sipCallId }, 'recording session answered');
            resolve({ answerSdp, sipCallId: sipCallId || dialog.sip.callId, sipStatus: 200 });
          },
          (error: unknown) => {
            if (session.state !== 'inviting') return; // our CANCEL's 487, or a timeout already reported
            if (isSipFailure(error))
              return fail(recordingFailure({ status: error.status, reason: error.reason }, context));
            fail(
              recordingFailure(
                { transport: error instanceof Error ? error.message : String(error) },
                context,
              ),
            );
          },
        );
    });
  }

  private watch(session: RecordingSession, dialog: SipDialog): void {
    dialog.on('destroy', () => {
      if (session.state !== 'up') return; // our own BYE
      this.ended(session, 0, 'BYE from the recorder');
    });
    // An offer from the recorder is answered with the current offer, as srf would, but with the SDP alone
    // (srf's own answer would be the multipart body labelled application/sdp).
    dialog.on('modify', (_request, response) =>
      response.send(
        200,
        undefined,
        { headers: { 'Content-Type': 'application/sdp' }, body: session.offerSdp },
        () => undefined,
      ),
    );
    // srf would accept a REFER by itself; a recording session transfers nothing.
    dialog.on('refer', (_request, response) => response.send(403, 'Forbidden', {}, () => undefined));
  }

  /** The recorder ended the session: forgotten, and reported to the orchestrator. */
  private ended(session: RecordingSession, sipStatus: number, reason: string): void {
    session.state = 'ended';
    this.sessions.delete(session.sessionId);
    session.log.info({ sipStatus, reason }, 'recording session ended by the recorder');
    const ids = { factId: this.deps.newId(), callId: session.callId, legId: '' };
    this.deps.facts
      .publish(recordingSessionEnded(ids, session.sessionId, sipStatus, reason))
      .catch((error: unknown) => session.log.error({ err: error }, 'RecordingSessionEnded fact lost'));
  }
}

function transportOf(uri: string): 'udp' | 'tcp' | 'tls' {
  const parsed = parseUri(uri);
  if (parsed.scheme === 'sips') return 'tls';
  const transport = parsed.params.get('transport')?.toLowerCase();
  return transport === 'tcp' ? 'tcp' : transport === 'tls' ? 'tls' : 'udp';
}

/** RFC 3326 Reason of the platform's BYE or CANCEL of a recording session: it ends normally. */
const RECORDING_ENDED = formatReason({ protocol: 'Q.850', cause: 16, text: 'recording ended' });

function cancel(session: RecordingSession): void {
  try {
    session.sent?.cancel({ headers: { Reason: RECORDING_ENDED } });
  } catch (error) {
    session.log.warn({ err: error }, 'CANCEL not sent');
  }
}

async function byeWithin(dialog: SipDialog, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      dialog.destroy({ headers: { Reason: RECORDING_ENDED } }),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to the BYE within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
