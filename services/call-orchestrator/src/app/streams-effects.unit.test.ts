// The streams' work on the gateway outside the commands' own effects (app/capabilities/streams.effects.ts):
// what follows a decision's events (closes, roster updates, digits), and a stream the gateway lost.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../domain/call.commands';
import type { CallEvent } from '../domain/call.events';
import { foldEvents } from '../domain/call.state';
import * as b from '../domain/testing/builders';
import { streamsAfterEvents, StreamWire } from './capabilities/streams.effects';
import type { EffectPorts } from './capabilities/effects';
import { PEER_ERROR_CODES, PeerError } from './errors';
import type { StreamGatewayPort } from './ports';

const { EndCause, StreamStopReason: Stop } = b;
const S = 'str-s1';

/** A gateway that keeps what it was asked, one line each; `refuse` makes a method fail with that code. */
function recordingGateway(refuse: Partial<Record<keyof StreamGatewayPort, 'notFound' | 'unavailable'>> = {}) {
  const calls: string[] = [];
  const act = async (method: keyof StreamGatewayPort, line: string) => {
    calls.push(line);
    const code = refuse[method];
    if (code) throw new PeerError('stream-gateway', PEER_ERROR_CODES[code], `${method} refused`);
  };
  const gateway: StreamGatewayPort = {
    openStream: (r) => act('openStream', `OpenStream ${r.streamId}`),
    updateStream: (r) =>
      act(
        'updateStream',
        `UpdateStream ${r.streamId} ${r.reason} ${r.participants.map((p) => p.legId).join(',')}`,
      ),
    sendStreamDtmf: (r) =>
      act('sendStreamDtmf', `SendStreamDtmf ${r.streamId} ${r.legId} ${r.digit} ${r.durationMs}`),
    connectStreamOutput: (r) => act('connectStreamOutput', `ConnectStreamOutput ${r.streamId}`),
    pauseStream: (id) => act('pauseStream', `PauseStream ${id}`),
    resumeStream: (id) => act('resumeStream', `ResumeStream ${id}`),
    closeStream: (id, reason) => act('closeStream', `CloseStream ${id} ${Stop[reason]}`),
    holdsStream: async (id) => {
      await act('holdsStream', `HoldsStream ${id}`);
      return false;
    },
  };
  const lost: string[] = [];
  const wire = new StreamWire(
    gateway,
    async (_callId, streamId) => void lost.push(streamId),
    undefined,
    [0, 0],
  );
  const ports = { streams: wire } as unknown as EffectPorts;
  return { calls, lost, wire, ports };
}

const command = (type: CallCommand['type'], data: object = {}): CallCommand =>
  ({ type, data, metadata: b.meta() }) as CallCommand;

async function after(
  g: ReturnType<typeof recordingGateway>,
  history: CallEvent[],
  events: CallEvent[],
  cmd: CallCommand = command('RecordLegAnswered'),
) {
  await streamsAfterEvents(g.ports, b.CALL, cmd, { events }, foldEvents(history));
  await g.wire.idle();
}

const streaming = () => [...b.bothAnswered(), b.streamRequested(S, ['A', 'B']), b.streamStarted(S)];

describe('after the events of any command', () => {
  it('closes every running stream when the call ends (CALL_ENDED), and a leg stream when its leg does', async () => {
    const g = recordingGateway();
    const history = [...streaming(), b.streamRequested('str-b', ['B'], { legId: 'B' })];
    await after(g, history, [b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP)]);
    expect(g.calls).toEqual([
      `CloseStream str-b STREAM_STOP_REASON_CALL_ENDED`,
      `UpdateStream ${S} party-left A`,
    ]);
    g.calls.length = 0;
    await after(g, history, [
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    ]);
    expect(g.calls).toEqual([
      `CloseStream ${S} STREAM_STOP_REASON_CALL_ENDED`,
      'CloseStream str-b STREAM_STOP_REASON_CALL_ENDED',
    ]);
  });

  it('updates the roster with the reason, and forwards a digit with its duration', async () => {
    const g = recordingGateway();
    await after(g, streaming(), [b.legInitiated('C'), b.legAnswered('C')]);
    await after(g, streaming(), [b.dtmfReceived('A', '7')], {
      type: 'RecordDtmf',
      data: { legId: 'A', digit: '7', durationMs: 120 },
      metadata: b.meta(),
    });
    expect(g.calls).toEqual([`UpdateStream ${S} party-joined A,B,C`, `SendStreamDtmf ${S} A 7 120`]);
  });

  it('asks nothing of a stream that ended', async () => {
    const g = recordingGateway();
    await after(g, [...streaming(), b.streamStopped(S)], [b.dtmfReceived('A', '7'), b.legHeld('A')]);
    expect(g.calls).toEqual([]);
  });
});

describe('a stream the gateway lost', () => {
  it('NOT_FOUND on CloseStream: recorded as lost at once', async () => {
    const g = recordingGateway({ closeStream: 'notFound' });
    await g.wire.close(b.CALL, S, callEvents.StreamStopReason.STREAM_STOP_REASON_REQUESTED);
    expect(g.calls).toEqual([`CloseStream ${S} STREAM_STOP_REASON_REQUESTED`]);
    expect(g.lost).toEqual([S]);
  });
  it('an unreachable gateway: tried again, then recorded as lost', async () => {
    const g = recordingGateway({ closeStream: 'unavailable' });
    await g.wire.close(b.CALL, S, callEvents.StreamStopReason.STREAM_STOP_REASON_REQUESTED);
    expect(g.calls).toHaveLength(3);
    expect(g.lost).toEqual([S]);
  });
  it('after a restart: a running stream no gateway holds is lost; a leg stream whose leg ended is closed', async () => {
    const g = recordingGateway();
    const state = foldEvents([
      ...streaming(),
      b.streamRequested('str-x', ['A']),
      b.streamStopped('str-x'),
      b.streamRequested('str-b', ['B'], { legId: 'B' }),
      b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP),
    ]);
    expect(await g.wire.recover(b.CALL, state)).toBe(1);
    expect(g.calls).toEqual([`HoldsStream ${S}`, 'CloseStream str-b STREAM_STOP_REASON_CALL_ENDED']);
    expect(g.lost).toEqual([S]);
  });
  it('while running (a gateway killed): lost only when unheld at two checks in a row', async () => {
    const g = recordingGateway();
    const state = foldEvents(streaming());
    expect(await g.wire.recover(b.CALL, state, false)).toBe(0);
    g.wire.endCheck();
    expect(g.lost).toEqual([]);
    expect(await g.wire.recover(b.CALL, state, false)).toBe(1);
    g.wire.endCheck();
    expect(g.lost).toEqual([S]);
    // A stream held again in between is no suspect any more.
    const again = recordingGateway();
    await again.wire.recover(b.CALL, state, false);
    again.wire.endCheck();
    again.wire.endCheck(); // a check in which the stream was not found unheld
    expect(await again.wire.recover(b.CALL, state, false)).toBe(0);
  });
});
