// The fork client against a real media-worker process over a real rtpengine: forks of both parties reach
// the sockets asked for, in the codec reported, and stop with StopFork; a session rtpengine does not know
// is a NotFoundError; whether a session exists (Query) for a live call, a call that was hung up and a
// session never made.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMediaStack, type MediaStack } from '@callctl/testing';
import { SERVICE_NODE_FLAGS } from '@callctl/service';
import { NotFoundError } from '@callctl/errors';
import { waitFor } from '@callctl/testing';
import { ForkClient } from '@callctl/service';

/** A UDP socket on loopback counting the RTP packets (and their payload types) it gets. */
async function sink(): Promise<{ socket: Socket; port: number; packets: number; payloadTypes: Set<number> }> {
  const socket = createSocket('udp4');
  const state = { socket, port: 0, packets: 0, payloadTypes: new Set<number>() };
  socket.on('message', (message) => {
    state.packets++;
    state.payloadTypes.add(message[1]! & 0x7f);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  state.port = socket.address().port;
  return state;
}

jest.setTimeout(60_000);

describe('fork client', () => {
  let dir: string;
  let stack: MediaStack;
  let forks: ForkClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recording-fork-client-'));
    stack = await startMediaStack(dir, { nodeFlags: SERVICE_NODE_FLAGS });
    forks = new ForkClient({ address: stack.workerAddress, timeoutMs: 5000 });
  });
  afterAll(async () => {
    forks?.close();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('tells a live session from one that was deleted and one never made', async () => {
    const call = await stack.connectedCall();
    expect(await forks.sessionExists(call.sessionId)).toBe(true);
    await call.hangUp();
    expect(await forks.sessionExists(call.sessionId)).toBe(false);
    expect(await forks.sessionExists('session-never-made')).toBe(false);
  });

  it('forks both parties to the sockets asked for, and stops the copies', async () => {
    const call = await stack.connectedCall();
    call.caller.startTone(700);
    call.callee.startTone(1300);
    const sinks = [await sink(), await sink()];
    try {
      const forked = await forks.startFork({
        callId: call.callId,
        sessionId: call.sessionId,
        forkId: 'rec-fork-client-test',
        fromTags: ['caller', 'callee'],
        sinkAddress: '127.0.0.1',
        sinkPorts: sinks.map((s) => s.port),
        wideband: true,
      });
      expect(forked.map((p) => [p.fromTag, p.sinkPort, p.codec, p.clockRate, p.sampleRate])).toEqual([
        ['caller', sinks[0]!.port, 'PCMU', 8000, 8000],
        ['callee', sinks[1]!.port, 'PCMU', 8000, 8000],
      ]);
      await waitFor('copies at both sinks', () => sinks.every((s) => s.packets > 10), 10_000);
      expect([...sinks[0]!.payloadTypes]).toContain(forked[0]!.payloadType);

      await forks.stopFork(call.sessionId, 'rec-fork-client-test');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = sinks.map((s) => s.packets);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(sinks.map((s) => s.packets)).toEqual(after);
      // Stopping it again, or a fork never made, is fine.
      await forks.stopFork(call.sessionId, 'rec-fork-client-test');
    } finally {
      for (const s of sinks) s.socket.close();
      call.caller.stopTone();
      call.callee.stopTone();
    }
  });

  it('says NotFoundError for a session rtpengine does not know', async () => {
    await expect(
      forks.startFork({
        callId: 'call-x',
        sessionId: 'session-never-made',
        forkId: 'rec-x',
        fromTags: ['caller'],
        sinkAddress: '127.0.0.1',
        sinkPorts: [40_000],
        wideband: true,
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('says the worker is unavailable when nothing listens at its address', async () => {
    const nobody = new ForkClient({ address: '127.0.0.1:9', timeoutMs: 1000 });
    try {
      await expect(nobody.sessionExists('any')).rejects.toMatchObject({ kind: 'unavailable' });
    } finally {
      nobody.close();
    }
  });
});
