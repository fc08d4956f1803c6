import type { CallEvent } from '../domain/call.events';
import { foldEvents, type CallState } from '../domain/call.state';
import * as b from '../domain/testing/builders';
import { MonitorMedia } from './monitor-media';
import type { MediaPort, MixerPort } from './ports';

const { MonitorMode, MonitorEndReason } = b;

/** The mixer and media-worker as the calls they were asked, in order (`fail` makes the next such call fail). */
function recordingPorts(gateway = false) {
  const calls: string[] = [];
  const failing = new Set<string>();
  /** The codec each party's fork comes in (PCMU unless named). */
  const forkCodecs = new Map<string, string>();
  const act = async <T>(line: string, result: T): Promise<T> => {
    calls.push(line);
    const name = line.split(' ')[0]!;
    if (failing.delete(name)) throw new Error(`${name} failed`);
    return result;
  };
  const mixer: MixerPort = {
    addressOf: async () => 'mixer:1',
    createRoom: (callId) => act(`CreateRoom ${callId}`, undefined),
    addParticipant: (_c, id, direction, codec = 'PCMU') =>
      act(`AddParticipant ${id} ${direction}${codec === 'PCMU' ? '' : ` ${codec}`}`, {
        rtpHost: '127.0.0.1',
        rtpPort: 4000,
        sdp: `sdp-${id}`,
      }),
    connectParticipant: (_c, id, sdp) => act(`ConnectParticipant ${id} ${sdp}`, undefined),
    setHearing: (_c, rows) =>
      act(`SetHearing ${rows.map((r) => `${r.listenerId}<${r.sourceIds.join('+')}`).join(' ')}`, undefined),
    removeParticipant: (_c, id) => act(`RemoveParticipant ${id}`, undefined),
    deleteRoom: (callId) => act(`DeleteRoom ${callId}`, undefined),
  };
  const media = {
    startFork: (r) =>
      act(`StartFork ${r.party.tag} ${r.forkId}`, { codec: forkCodecs.get(r.party.tag) ?? 'PCMU' }),
    stopFork: (party, forkId) => act(`StopFork ${party.tag} ${forkId}`, undefined),
    routeToMixer: (r) =>
      act(`RouteToMixer ${r.party.tag} ${r.routeId} ${r.mixerSdp}`, { sdp: `rtpe-${r.routeId}` }),
    restoreRoute: (r) => act(`RestoreRoute ${r.party.tag}`, undefined),
  } as Pick<MediaPort, 'startFork' | 'stopFork' | 'routeToMixer' | 'restoreRoute'> as MediaPort;
  const streams = {
    connectStreamOutput: (r: { streamId: string; rtpHost: string; rtpPort: number; payloadType: number }) =>
      act(`ConnectStreamOutput ${r.streamId} ${r.rtpHost}:${r.rtpPort} ${r.payloadType}`, undefined),
  };
  const ports = gateway ? { media, mixer, streams } : { media, mixer };
  return { calls, failing, forkCodecs, driver: new MonitorMedia(ports, [0, 0]) };
}

const monitored = (...more: CallEvent[]): CallState => foldEvents([...b.monitoredCall(), ...more]);

describe('monitor media: the mixer room and routes follow the monitors', () => {
  it('sets a listening monitor up in the contract order', async () => {
    const { calls, driver } = recordingPorts();
    await driver.drive('C1', monitored());
    expect(calls).toEqual([
      'CreateRoom C1',
      'AddParticipant fork-A recvonly',
      'StartFork A mon-fork-A',
      'AddParticipant fork-B recvonly',
      'StartFork B mon-fork-B',
      'AddParticipant sup-M1 sendrecv',
      'RouteToMixer S1 sup-M1 sdp-sup-M1',
      'ConnectParticipant sup-M1 rtpe-sup-M1',
      'SetHearing sup-M1<fork-A+fork-B',
    ]);
  });

  it('routes the parties for a whisper, and restores them when back to listen; a drive again does nothing', async () => {
    const { calls, driver } = recordingPorts();
    await driver.drive('C1', monitored());
    calls.length = 0;
    const whisper = monitored(b.monitorModeChanged(MonitorMode.MONITOR_MODE_WHISPER, 'B'));
    await driver.drive('C1', whisper);
    // The participants and their rows first, then both parties moved together.
    expect(calls.slice(0, 3)).toEqual([
      'AddParticipant in-A sendrecv',
      'AddParticipant in-B sendrecv',
      'SetHearing sup-M1<fork-A+fork-B in-A<in-B in-B<in-A+sup-M1',
    ]);
    expect(calls.slice(3).sort()).toEqual([
      'ConnectParticipant in-A rtpe-in-A',
      'ConnectParticipant in-B rtpe-in-B',
      'RouteToMixer A in-A sdp-in-A',
      'RouteToMixer B in-B sdp-in-B',
    ]);
    calls.length = 0;
    await driver.drive('C1', whisper);
    expect(calls).toEqual([]);
    await driver.drive(
      'C1',
      monitored(
        b.monitorModeChanged(MonitorMode.MONITOR_MODE_WHISPER, 'B'),
        b.monitorModeChanged(MonitorMode.MONITOR_MODE_LISTEN),
      ),
    );
    expect(calls).toEqual([
      'RestoreRoute A',
      'RemoveParticipant in-A',
      'RestoreRoute B',
      'RemoveParticipant in-B',
      'SetHearing sup-M1<fork-A+fork-B',
    ]);
  });

  it('tears the room down when the last monitor ends, each step whatever the others did', async () => {
    const { calls, failing, driver } = recordingPorts();
    await driver.drive('C1', monitored(b.monitorModeChanged(MonitorMode.MONITOR_MODE_BARGE)));
    calls.length = 0;
    failing.add('StopFork');
    await driver.drive('C1', monitored(b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_MIXER_FAILED)));
    expect(calls).toEqual([
      'RestoreRoute A',
      'RestoreRoute B',
      'StopFork A mon-fork-A',
      'StopFork B mon-fork-B',
      'RemoveParticipant sup-M1',
      'RemoveParticipant in-A',
      'RemoveParticipant in-B',
      'RemoveParticipant fork-A',
      'RemoveParticipant fork-B',
      'DeleteRoom C1',
    ]);
    expect(driver.drives('C1')).toBe(false);
  });

  it('tears down a room another process set up, from what the state says, when a monitor ends', async () => {
    const { calls, driver } = recordingPorts();
    await driver.drive('C1', monitored(b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_STOPPED)), true);
    expect(calls).toEqual([
      'RestoreRoute A',
      'RestoreRoute B',
      'StopFork A mon-fork-A',
      'StopFork B mon-fork-B',
      'RemoveParticipant in-A',
      'RemoveParticipant in-B',
      'RemoveParticipant sup-M1',
      'RemoveParticipant fork-A',
      'RemoveParticipant fork-B',
      'DeleteRoom C1',
    ]);
    calls.length = 0;
    await driver.drive('C1', monitored(b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_STOPPED)));
    expect(calls).toEqual([]);
  });

  it('moves the forks with the parties when a bridge moves their media to another session', async () => {
    const { calls, driver } = recordingPorts();
    await driver.drive('C1', monitored());
    calls.length = 0;
    const bridged = b.legsBridged('A', 'B');
    if (bridged.type !== 'LegsBridged') throw new Error('not a LegsBridged');
    await driver.drive(
      'C1',
      monitored({ ...bridged, data: { ...bridged.data, mediaSessionId: 'BR-session' } }),
    );
    expect(calls).toEqual([
      'StopFork A mon-fork-A',
      'AddParticipant fork-A recvonly',
      'StartFork A mon-fork-A',
      'StopFork B mon-fork-B',
      'AddParticipant fork-B recvonly',
      'StartFork B mon-fork-B',
    ]);
  });

  it('leaves a call alone whose monitor never started (a busy supervisor)', async () => {
    const { calls, driver } = recordingPorts();
    const busy = foldEvents([
      ...b.bothAnswered(),
      b.monitorRequested(),
      b.supervisorDialled(),
      b.legInitiated('S1'),
      b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_BUSY, 486),
    ]);
    await driver.drive('C1', busy, true);
    expect(calls).toEqual([]);
  });

  it.each(['PCMA', 'G722'])(
    'gives a party whose fork comes in %s a fork participant in it',
    async (codec) => {
      const { calls, forkCodecs, driver } = recordingPorts();
      forkCodecs.set('B', codec);
      await driver.drive('C1', monitored());
      expect(calls.slice(3, 8)).toEqual([
        'AddParticipant fork-B recvonly',
        'StartFork B mon-fork-B',
        'RemoveParticipant fork-B',
        `AddParticipant fork-B recvonly ${codec}`,
        'StartFork B mon-fork-B',
      ]);
    },
  );

  it('retries a failed drive from where it stopped (what was done is not done again)', async () => {
    const { calls, failing, driver } = recordingPorts();
    failing.add('RouteToMixer');
    await driver.drive('C1', monitored());
    expect(calls.filter((c) => c.startsWith('StartFork'))).toHaveLength(2);
    expect(calls.filter((c) => c.startsWith('RouteToMixer'))).toHaveLength(2);
    expect(calls.at(-1)).toBe('SetHearing sup-M1<fork-A+fork-B');
  });
});

describe('monitor media: three-way participants share the room', () => {
  const { ParticipantMode, ParticipantRemovedReason } = b;
  const threeWay = (mode = ParticipantMode.PARTICIPANT_MODE_FULL, ...more: CallEvent[]): CallState =>
    foldEvents([...b.threeWayCall(mode), ...more]);

  it('FULL: forks, the participant routed, then both parties routed together; everybody hears everybody', async () => {
    const { calls, driver } = recordingPorts();
    await driver.drive('C1', threeWay());
    expect(calls.slice(0, 10)).toEqual([
      'CreateRoom C1',
      'AddParticipant fork-A recvonly',
      'StartFork A mon-fork-A',
      'AddParticipant fork-B recvonly',
      'StartFork B mon-fork-B',
      'AddParticipant par-P1 sendrecv',
      'RouteToMixer L1 par-P1 sdp-par-P1',
      'ConnectParticipant par-P1 rtpe-par-P1',
      'AddParticipant in-A sendrecv',
      'AddParticipant in-B sendrecv',
    ]);
    expect(calls[10]).toBe('SetHearing par-P1<fork-A+fork-B in-A<in-B+par-P1 in-B<in-A+par-P1');
    expect(calls.slice(11).sort()).toEqual([
      'ConnectParticipant in-A rtpe-in-A',
      'ConnectParticipant in-B rtpe-in-B',
      'RouteToMixer A in-A sdp-in-A',
      'RouteToMixer B in-B sdp-in-B',
    ]);
  });

  it('LISTEN: the participant hears the forks; the parties keep their direct path', async () => {
    const { calls, driver } = recordingPorts();
    await driver.drive('C1', threeWay(ParticipantMode.PARTICIPANT_MODE_LISTEN));
    expect(calls.filter((c) => c.includes('in-'))).toEqual([]);
    expect(calls.at(-1)).toBe('SetHearing par-P1<fork-A+fork-B');
  });

  it('removing the participant gives the parties their path back and tears the room down', async () => {
    const { calls, driver } = recordingPorts();
    await driver.drive('C1', threeWay());
    calls.length = 0;
    const removed = b.participantRemoved(ParticipantRemovedReason.PARTICIPANT_REMOVED_REASON_REMOVED);
    await driver.drive('C1', threeWay(ParticipantMode.PARTICIPANT_MODE_FULL, removed), true);
    expect(calls).toEqual([
      'RestoreRoute A',
      'RestoreRoute B',
      'StopFork A mon-fork-A',
      'StopFork B mon-fork-B',
      'RemoveParticipant par-P1',
      'RemoveParticipant in-A',
      'RemoveParticipant in-B',
      'RemoveParticipant fork-A',
      'RemoveParticipant fork-B',
      'DeleteRoom C1',
    ]);
  });

  it('a participant removed while a monitor listens: only its route goes, and the parties are restored', async () => {
    const { calls, driver } = recordingPorts();
    const monitor = [
      b.monitorRequested(),
      b.supervisorDialled(),
      b.legInitiated('S1'),
      b.legAnswered('S1'),
      b.monitorStarted(),
    ];
    await driver.drive('C1', threeWay(ParticipantMode.PARTICIPANT_MODE_FULL, ...monitor));
    calls.length = 0;
    const removed = b.participantRemoved(ParticipantRemovedReason.PARTICIPANT_REMOVED_REASON_HANGUP);
    await driver.drive('C1', threeWay(ParticipantMode.PARTICIPANT_MODE_FULL, ...monitor, removed), true);
    expect(calls).toEqual([
      'RemoveParticipant par-P1',
      'RestoreRoute A',
      'RemoveParticipant in-A',
      'RestoreRoute B',
      'RemoveParticipant in-B',
      'SetHearing sup-M1<fork-A+fork-B',
    ]);
  });
});

describe('monitor media: a bidirectional stream is a bot in the room', () => {
  const S = 'str-s1';
  /** A room with a bot alone, torn down: the parties' direct paths back first. */
  const torndown = [
    'RestoreRoute A',
    'RestoreRoute B',
    'RemoveParticipant in-A',
    'RemoveParticipant in-B',
    `RemoveParticipant bot-${S}`,
    'DeleteRoom C1',
  ];
  const streaming = (...more: CallEvent[]): CallState =>
    foldEvents([...b.bothAnswered(), b.streamRequested(S, ['A', 'B'], { bidirectional: true }), ...more]);

  it('adds the bot (PCMU, recvonly), connects the gateway to it, and routes every party; no forks', async () => {
    const { calls, driver } = recordingPorts(true);
    await driver.drive('C1', streaming());
    expect(calls.slice(0, 6)).toEqual([
      'CreateRoom C1',
      `AddParticipant bot-${S} recvonly`,
      `ConnectStreamOutput ${S} 127.0.0.1:4000 0`,
      'AddParticipant in-A sendrecv',
      'AddParticipant in-B sendrecv',
      `SetHearing in-A<in-B+bot-${S} in-B<in-A+bot-${S}`,
    ]);
    expect(calls.slice(6).sort()).toEqual([
      'ConnectParticipant in-A rtpe-in-A',
      'ConnectParticipant in-B rtpe-in-B',
      'RouteToMixer A in-A sdp-in-A',
      'RouteToMixer B in-B sdp-in-B',
    ]);
    calls.length = 0;
    await driver.drive('C1', streaming());
    expect(calls).toEqual([]);
  });

  it('a leg stream: only its leg hears the bot', async () => {
    const { calls, driver } = recordingPorts(true);
    await driver.drive(
      'C1',
      foldEvents([...b.bothAnswered(), b.streamRequested(S, ['B'], { bidirectional: true, legId: 'B' })]),
    );
    expect(calls).toContain(`SetHearing in-A<in-B in-B<in-A+bot-${S}`);
  });

  it('tears the room down when the stream ends, the parties back on their direct path', async () => {
    const { calls, driver } = recordingPorts(true);
    await driver.drive('C1', streaming());
    calls.length = 0;
    await driver.drive('C1', streaming(b.streamStopped(S)), true);
    expect(calls).toEqual(torndown);
  });

  it('after a restart, tears down from what the state says when the stream ended', async () => {
    const { calls, driver } = recordingPorts(true);
    await driver.drive('C1', streaming(b.streamFailed(S)), true);
    expect(calls).toEqual(torndown);
  });

  it('a bot beside a listening supervisor: the supervisor hears the parties and the bot', async () => {
    const { calls, driver } = recordingPorts(true);
    await driver.drive('C1', monitored(b.streamRequested(S, ['A', 'B'], { bidirectional: true })));
    expect(calls).toContain(`SetHearing sup-M1<fork-A+fork-B+bot-${S} in-A<in-B+bot-${S} in-B<in-A+bot-${S}`);
  });
});
