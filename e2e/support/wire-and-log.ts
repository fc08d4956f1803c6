// What a sipp peer saw on the wire (from its -trace_msg file), and the check that the event log tells the
// same story: every SIP action on the wire is in the log, and the log holds none that is not on the wire.
import { callEvents, type callControl } from '@callctl/proto';

const C = callEvents.EndCause;
/**
 * END_CAUSE_MEDIA_TIMEOUT: the leg's media vanished (rtpengine lost the session). Read by number: the
 * generated code of this branch does not have it yet.
 */
export const END_CAUSE_MEDIA_TIMEOUT = 11;

export interface SipMessage {
  /** When sipp sent or received it (its local clock, ms since the epoch). */
  atMs: number;
  direction: 'sent' | 'received';
  firstLine: string;
  /** The CSeq method (INVITE for its responses too). */
  method: string;
  callId: string;
  body: string;
}

/** The messages of sipp's -trace_msg file, in order. */
export function sipMessages(trace: string): SipMessage[] {
  const messages: SipMessage[] = [];
  // Each message follows a line of dashes with sipp's local time: `----- 2026-12-06 02:30:00.123456`.
  for (const block of trace.split(/^-{20,} */m)) {
    const stamp = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(block);
    const head = /message (sent|received)[^\n]*\n\s*\n/.exec(block);
    if (!head) continue;
    const text = block.slice(head.index + head[0].length).replace(/\r/g, '');
    const [headers = '', body = ''] = text.split(/\n\s*\n/, 2);
    const firstLine = headers.split('\n')[0]!.trim();
    messages.push({
      atMs: stamp ? new Date(`${stamp[1]}T${stamp[2]}`).getTime() : Number.NaN,
      direction: head[1] as 'sent' | 'received',
      firstLine,
      method: /^CSeq:\s*\d+\s+(\S+)/im.exec(headers)?.[1]?.toUpperCase() ?? '',
      callId: /^(?:Call-ID|i):\s*(\S+)/im.exec(headers)?.[1] ?? '',
      body,
    });
  }
  return messages;
}

/** One SIP call as a sipp peer saw it: which side it was, and how it went. */
export interface WireCall {
  sipCallId: string;
  /** The final response to the INVITE, whoever sent it (0: none). */
  finalStatus: number;
  /** sipp sent BYE (the far end hung up). */
  byeFromPeer: boolean;
  /** The platform sent BYE to sipp. */
  byeFromPlatform: boolean;
  /** The platform sent CANCEL (an outbound leg it gave up on). */
  cancelledByPlatform: boolean;
  /** Digits sipp sent by SIP INFO, in order. */
  infoDigits: string;
}

const statusOf = (line: string) => Number(/^SIP\/2\.0 (\d{3})/.exec(line)?.[1] ?? 0);

/** The first call of a sipp run (the fault tests run one call per sipp). */
export function wireCall(trace: string): WireCall {
  const messages = sipMessages(trace);
  const invite = messages.find((m) => m.firstLine.startsWith('INVITE '));
  const finals = messages.filter((m) => m.method === 'INVITE' && statusOf(m.firstLine) >= 200);
  const request = (method: string, direction: SipMessage['direction']) =>
    messages.some((m) => m.firstLine.startsWith(`${method} `) && m.direction === direction);
  return {
    sipCallId: invite?.callId ?? '',
    finalStatus: finals.length ? statusOf(finals[0]!.firstLine) : 0,
    byeFromPeer: request('BYE', 'sent'),
    byeFromPlatform: request('BYE', 'received'),
    cancelledByPlatform: request('CANCEL', 'received'),
    infoDigits: messages
      .filter((m) => m.firstLine.startsWith('INFO ') && m.direction === 'sent')
      .map((m) => /Signal=(\S)/.exec(m.body)?.[1] ?? '?')
      .join(''),
  };
}

export type LogEvent = callControl.WatchEventsResponse;

/** The log's events of one call, by its call id. */
export const logOfCall = (log: readonly LogEvent[], callId: string): LogEvent[] =>
  log.filter((e) => e.envelope!.streamId === `call-${callId}`);

/** The log's events of the call whose leg carries that SIP Call-ID (none when it was never recorded). */
export function logOfSipCall(log: readonly LogEvent[], sipCallId: string): LogEvent[] {
  const leg = log.find(
    (e) => e.event?.$case === 'legInitiated' && e.event.legInitiated.sipCallId === sipCallId,
  );
  return leg?.event?.$case === 'legInitiated' ? logOfCall(log, leg.event.legInitiated.callId) : [];
}

/** Causes a leg may end with, by what the wire shows. */
function causesFor(wire: WireCall): number[] {
  if (wire.byeFromPeer) return [C.END_CAUSE_REMOTE_HANGUP];
  if (wire.byeFromPlatform) {
    return [
      C.END_CAUSE_LOCAL_HANGUP,
      C.END_CAUSE_MAX_DURATION,
      C.END_CAUSE_PLATFORM_FAILURE,
      C.END_CAUSE_BRIDGE_PEER_ENDED,
      END_CAUSE_MEDIA_TIMEOUT,
    ];
  }
  if (wire.cancelledByPlatform) return [C.END_CAUSE_NO_ANSWER, C.END_CAUSE_LOCAL_HANGUP];
  return [
    C.END_CAUSE_NO_ANSWER,
    C.END_CAUSE_REJECTED,
    C.END_CAUSE_PLATFORM_FAILURE,
    C.END_CAUSE_UNREACHABLE,
    C.END_CAUSE_BUSY,
    C.END_CAUSE_CANCELLED,
    // A device's call refused with its callee's cause (404 no route, 480 not registered).
    C.END_CAUSE_NO_ROUTE,
    C.END_CAUSE_NOT_REGISTERED,
  ];
}

/**
 * Where the log and the wire disagree for one call, in words (empty: they agree). Only a call refused with
 * 503 (the platform could not record it) may be missing from the log.
 */
export function logVersusWire(name: string, wire: WireCall, events: readonly LogEvent[]): string[] {
  const problems: string[] = [];
  const say = (problem: string) => problems.push(`${name} (${wire.sipCallId}): ${problem}`);
  const kinds = events.map((e) => e.event?.$case ?? e.envelope?.type);
  if (events.length === 0) {
    if (wire.finalStatus !== 503) say(`not in the log, but the wire shows final ${wire.finalStatus}`);
    return problems;
  }
  const answered = wire.finalStatus >= 200 && wire.finalStatus < 300;
  if (answered !== kinds.includes('legAnswered')) {
    say(
      `wire final ${wire.finalStatus}, log ${answered ? 'has no' : 'has a'} LegAnswered (${kinds.join(', ')})`,
    );
  }
  const ended = events.find((e) => e.event?.$case === 'legEnded');
  if (!ended || ended.event?.$case !== 'legEnded') {
    say(`ended on the wire, still open in the log (${kinds.join(', ')})`);
  } else if (!causesFor(wire).includes(ended.event.legEnded.cause)) {
    say(
      `log ends the leg with ${C[ended.event.legEnded.cause] ?? ended.event.legEnded.cause}, ` +
        `the wire shows final ${wire.finalStatus}${wire.byeFromPeer ? ', BYE from the peer' : ''}` +
        `${wire.byeFromPlatform ? ', BYE from the platform' : ''}`,
    );
  }
  if (!kinds.includes('callEnded')) say('no CallEnded in the log');
  return problems;
}

/** Digits the log received on a call, in log order. */
export function loggedDigits(events: readonly LogEvent[]): string {
  return events.map((e) => (e.event?.$case === 'dtmfReceived' ? e.event.dtmfReceived.digit : '')).join('');
}

/** Event ids that occur more than once. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}
