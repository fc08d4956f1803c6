import type { CallEvent } from './call.events';
import { foldEvents, type CallState } from './call.state';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';

const mediaOf = (state: CallState, legId: string) =>
  state.status === 'none' ? undefined : state.legs[legId]?.media;
const withMedia = (event: CallEvent, sessionId: string, tag: string): CallEvent =>
  event.type === 'LegInitiated' ? { ...event, data: { ...event.data, media: { sessionId, tag } } } : event;
const bridgedIn = (mediaSessionId: string): CallEvent => {
  const e = b.legsBridged('A', 'B');
  return e.type === 'LegsBridged' ? { ...e, data: { ...e.data, mediaSessionId } } : e;
};

describe("call state: where a leg's media is", () => {
  it('takes it from LegInitiated', () => {
    const state = foldEvents([b.callCreated(), withMedia(b.legInitiated('A', 'in'), 'ms-1', 't-A')]);
    expect(mediaOf(state, 'A')).toEqual({ sessionId: 'ms-1', tag: 't-A' });
  });

  it('puts it at the call id with the leg id as tag for a LegInitiated recorded without it (older logs)', () => {
    expect(mediaOf(foldEvents(b.answeredA()), 'A')).toEqual({ sessionId: b.CALL, tag: 'A' });
  });

  it("moves both legs to the bridge's media session, each keeping its tag, and leaves them there after it", () => {
    const bridged = foldEvents([...b.bothAnswered(), bridgedIn('ms-bridge')]);
    expect(mediaOf(bridged, 'A')).toEqual({ sessionId: 'ms-bridge', tag: 'A' });
    expect(mediaOf(bridged, 'B')).toEqual({ sessionId: 'ms-bridge', tag: 'B' });
    const ended = foldEvents([b.bridgeEnded('A')], bridged);
    expect(mediaOf(ended, 'B')).toEqual({ sessionId: 'ms-bridge', tag: 'B' });
  });

  it('leaves the media where it was for a bridge that names no media session (a dial-through)', () => {
    const state = foldEvents([...b.bothAnswered(), b.legsBridged('A', 'B')]);
    expect(mediaOf(state, 'B')).toEqual({ sessionId: b.CALL, tag: 'B' });
  });
});

describe('call: a digit the media-worker heard on a party', () => {
  const heardOn = (sessionId: string, tag: string, legId = tag) => {
    const c = b.recordDtmf(legId, '5');
    return c.type === 'RecordDtmf' ? { ...c, data: { ...c.data, party: { sessionId, tag } } } : c;
  };
  it('goes to the leg whose media that party is', () =>
    given(...b.bothAnswered(), bridgedIn('ms-bridge'))
      .when(heardOn('ms-bridge', 'B', 'unknown-leg'))
      .then(b.dtmfReceived('B', '5')));
  it('goes to the leg the tag names when no leg has that party', () =>
    given(...b.bothAnswered())
      .when(heardOn('elsewhere', 'A'))
      .then(b.dtmfReceived('A', '5')));
});
