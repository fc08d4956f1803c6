// What the callback commands print.
import { callback, callbackEvents } from '@callctl/proto';
import { envelopeAt } from '../test/support/events.js';
import {
  callbackEventJson,
  callbackEventLine,
  callbackResponseJson,
  callbackResponseText,
  callbackText,
} from './callback-output.js';

const { CallbackState } = callback;
const ended = callback.CallbackView.fromPartial({
  callbackId: 'cb1-1',
  state: CallbackState.CALLBACK_STATE_ENDED,
  user1: '100',
  user2: '101',
  origin: {
    kind: callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_IIF,
    peerName: 'as1',
    iifId: '1234',
  },
  callId: 'c1',
  maxDurationS: 60,
  requestedAt: new Date('2026-11-23T10:15:00.000Z'),
  bridgedAt: new Date('2026-11-23T10:15:10.000Z'),
  endedAt: new Date('2026-11-23T10:16:10.000Z'),
  endCause: callbackEvents.CallbackEndCause.CALLBACK_END_CAUSE_MAX_DURATION,
  realDurationS: 60,
  version: 9,
});
const calling = callback.CallbackView.fromPartial({
  callbackId: 'cb2-1',
  state: CallbackState.CALLBACK_STATE_CALLING_USER1,
  user1: '200',
  user2: '201',
  origin: { kind: callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_GRPC },
  requestedAt: new Date('2026-11-23T10:15:00.000Z'),
  version: 2,
});

describe('callback responses', () => {
  it('prints what StartCallback started: its id and state', () => {
    expect(callbackResponseText('startCallback', { callback: calling })).toBe('callback cb2-1 calling-user1');
  });

  it('prints a callback as one line of its facts, the ending ones once it is over', () => {
    expect(callbackText(ended)).toBe(
      'callback cb1-1 ended user1=100 user2=101 origin=iif:as1:1234 call=c1 max-duration=60s ' +
        'requested=2026-11-23T10:15:00.000Z bridged=2026-11-23T10:15:10.000Z ended=2026-11-23T10:16:10.000Z ' +
        'cause=max-duration real-duration=60s',
    );
    expect(callbackResponseText('getCallback', { callback: calling })).toBe(
      'callback cb2-1 calling-user1 user1=200 user2=201 origin=grpc requested=2026-11-23T10:15:00.000Z version=2',
    );
    const failed = {
      ...calling,
      state: CallbackState.CALLBACK_STATE_FAILED,
      failureCode: 'NOT_FOUND',
      failureMessage: 'no route',
    };
    expect(callbackText(failed)).toContain('failed');
    expect(callbackText(failed)).toContain('failure=NOT_FOUND "no route"');
  });

  it('prints a list with its next page, "no callbacks" for none, "ok" for a cancel', () => {
    expect(
      callbackResponseText('listCallbacks', { callbacks: [ended, calling], nextPageToken: 'p2' }).split('\n'),
    ).toEqual([callbackText(ended), callbackText(calling), 'more: --page-token p2']);
    expect(callbackResponseText('listCallbacks', { callbacks: [], nextPageToken: '' })).toBe('no callbacks');
    expect(callbackResponseText('cancelCallback', {})).toBe('ok');
  });

  it('prints the counters on three lines', () => {
    const stats = callback.GetCallbackStatsResponse.fromPartial({
      active: 2,
      admitted: 10,
      refusedRate: 1,
      iifRequests: 7,
      iifDroppedUnknownPeer: 1,
      iifResponsesSent: 5,
      iifResponsesAcknowledged: 4,
    });
    expect(callbackResponseText('getCallbackStats', stats).split('\n')).toEqual([
      'active=2 admitted=10 refused-concurrency=0 refused-rate=1',
      'iif requests=7 failed=0 dropped-unknown-peer=1 dropped-malformed=0 retransmissions=0',
      'iif responses sent=5 acknowledged=4 abandoned=0',
    ]);
  });

  it('prints a response as proto3 JSON with --json', () => {
    expect(JSON.parse(callbackResponseJson('startCallback', { callback: calling }))).toMatchObject({
      callback: { callbackId: 'cb2-1', state: 'CALLBACK_STATE_CALLING_USER1' },
    });
  });
});

describe('callback event lines', () => {
  const at = (type: string, position: number) => ({
    ...envelopeAt(type, position),
    streamId: 'callback-cb1-1',
  });

  it.each<[string, callback.WatchCallbackEventsResponse['event'], string]>([
    [
      'CallbackRequested',
      {
        $case: 'requested',
        requested: callbackEvents.CallbackRequested.fromPartial({
          callbackId: 'cb1-1',
          user1: '100',
          user2: '101',
          user1Uri: 'sip:100@gw',
          user2Uri: 'sip:101@gw',
          callerUri: 'sip:callback@callctl.invalid',
          maxDurationS: 60,
          origin: { kind: callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_GRPC },
        }),
      },
      'user1=100 user2=101 to1=sip:100@gw to2=sip:101@gw from=sip:callback@callctl.invalid max-duration=60s origin=grpc',
    ],
    [
      'CallbackUser2Ringing',
      { $case: 'user2Ringing', user2Ringing: { callbackId: 'cb1-1', callId: 'c1', legId: 'l2' } },
      'call=c1 leg=l2',
    ],
    [
      'CallbackEnded',
      {
        $case: 'ended',
        ended: callbackEvents.CallbackEnded.fromPartial({
          callbackId: 'cb1-1',
          cause: callbackEvents.CallbackEndCause.CALLBACK_END_CAUSE_USER2_BUSY,
          sipStatus: 486,
        }),
      },
      'cause=user2-busy sip=486 real-duration=0s',
    ],
    [
      'CallbackFailed',
      { $case: 'failed', failed: { callbackId: 'cb1-1', code: 'UNAVAILABLE', message: 'platform down' } },
      'code=UNAVAILABLE "platform down"',
    ],
    [
      'CallbackResponseSettled',
      {
        $case: 'responseSettled',
        responseSettled: { callbackId: 'cb1-1', acknowledged: false, attempts: 6 },
      },
      'abandoned attempts=6',
    ],
  ])('prints %s with the facts that matter', (type, event, details) => {
    expect(callbackEventLine({ envelope: at(type, 42), event })).toBe(
      `10:15:02.120 #42 cb1-1 ${type} ${details}`,
    );
  });

  it('still prints an event type this version does not know, and JSON with --json', () => {
    expect(callbackEventLine({ envelope: at('CallbackTeleported', 7), event: undefined })).toBe(
      '10:15:02.120 #7 cb1-1 CallbackTeleported (not known to this callctl version)',
    );
    const message = {
      envelope: at('CallbackBridged', 8),
      event: {
        $case: 'bridged' as const,
        bridged: callbackEvents.CallbackBridged.fromPartial({ callbackId: 'cb1-1', bridgeId: 'b1' }),
      },
    };
    expect(JSON.parse(callbackEventJson(message))).toMatchObject({
      envelope: { type: 'CallbackBridged' },
      bridged: { callbackId: 'cb1-1', bridgeId: 'b1' },
    });
  });
});
