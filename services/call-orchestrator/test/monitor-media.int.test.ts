// The media of a monitor as the orchestrator drives it, against stand-ins of the mixer and of the
// media-worker's fork and route methods (their real gRPC contracts): the order of the requests, and the
// same requests again from a new orchestrator process on the same log (what a kill -9 leaves is redone).
import { createLogger } from '@callctl/logging';
import { callEvents } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import type { RunningCallOrchestrator } from '../src/call-orchestrator.js';
import { CallControlTestClient } from './support/call-control-client.js';
import { MonitorMediaStandIns } from './support/monitor-media-stand-ins.js';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';

const log = createLogger({ service: 'monitor-media-test', level: 'silent' });
let standIns: MonitorMediaStandIns;
let h: Harness;
let next: RunningCallOrchestrator | undefined;
beforeAll(async () => {
  standIns = await MonitorMediaStandIns.start(log);
  h = await startHarness({
    mediaWorker: { address: standIns.mediaWorkerAddress, mediaFilesDir: '/nonexistent' },
    orchestrator: { mixer: { address: standIns.mixerAddress, timeoutMs: 2000 } },
  });
});
afterAll(async () => {
  await next?.close();
  await h.stop();
  await standIns.stop();
});

const until = async (callId: string, type: string, count = 1) =>
  waitFor(
    `${type} recorded`,
    async () => typesOf(await h.stream(callId)).filter((t) => t === type).length >= count,
  );
const requestsSince = (from: number) => standIns.requests.slice(from);

it('sets the room up when the supervisor answers, follows the mode, and does it again after a restart', async () => {
  const { callId, legId: a } = await h.answeredInboundCall();
  const { monitorId } = await h.client.monitorCall({ callId, idempotencyKey: 'mon-media' });
  await until(callId, 'LegInitiated', 2);
  const sup = h.sipEdge.received('placeCall').find((r) => r.callId === callId)!.legId as string;
  await h.sipEdge.answered(callId, sup);
  await until(callId, 'MonitorStarted');
  const listen = `SetHearing sup-${monitorId}<fork-${a}`;
  // The room, the party's fork and the supervisor's route; then the party's route for a barge.
  const setUp = [
    `CreateRoom ${callId}`,
    `AddParticipant fork-${a}`,
    `StartFork mon-fork-${a} 127.0.0.1:46000`,
    `AddParticipant sup-${monitorId}`,
    `RouteToMixer sup-${monitorId} sdp-sup-${monitorId}`,
    `ConnectParticipant sup-${monitorId} rtpe-sup-${monitorId}`,
  ];
  // The party's participant and rows first, then its route.
  const barged = [
    `AddParticipant in-${a}`,
    `SetHearing sup-${monitorId}<fork-${a} in-${a}<sup-${monitorId}`,
    `RouteToMixer in-${a} sdp-in-${a}`,
    `ConnectParticipant in-${a} rtpe-in-${a}`,
  ];
  await waitFor('room set up', async () => standIns.requests.includes(listen)).catch((e: unknown) => {
    throw new Error(`${String(e)}; requests: ${JSON.stringify(standIns.requests)}`);
  });
  expect(standIns.requests).toEqual([...setUp, listen]);

  // Barge: the party is routed through the mixer before SetMonitorMode answers.
  let from = standIns.requests.length;
  await h.client.api.setMonitorMode({
    callId,
    monitorId,
    mode: callEvents.MonitorMode.MONITOR_MODE_BARGE,
    whisperLegId: '',
  });
  expect(requestsSince(from)).toEqual(barged);

  // A new process on the same log (this one gone, its memory with it) drives the room again at start.
  await h.orchestrator.close();
  from = standIns.requests.length;
  next = await h.startAnother();
  await waitFor('room driven again', async () => requestsSince(from).includes(barged[barged.length - 1]!));
  expect(requestsSince(from)).toEqual([...setUp, ...barged]);

  // The new process ends it: the party's path restored, the forks, participants and room gone.
  const client = new CallControlTestClient(`127.0.0.1:${next.grpc.port}`);
  try {
    from = standIns.requests.length;
    await client.api.stopMonitor({ callId, monitorId });
    await waitFor('room deleted', async () => requestsSince(from).includes(`DeleteRoom ${callId}`));
    expect(requestsSince(from)).toEqual([
      `RestoreRoute ${a}`,
      `StopFork mon-fork-${a}`,
      `RemoveParticipant sup-${monitorId}`,
      `RemoveParticipant in-${a}`,
      `RemoveParticipant fork-${a}`,
      `DeleteRoom ${callId}`,
    ]);
  } finally {
    client.close();
  }
});
