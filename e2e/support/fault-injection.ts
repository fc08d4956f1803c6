// Faults a test injects into the processes it started itself (never into the shared stack): a paused or
// killed nats-server, a cut between the orchestrator and PostgreSQL (a TCP proxy the test owns in front
// of its database: the stack's cluster is shared and must not be stopped), a killed rtpengine restarted
// on its own ports.
import {
  startProcess,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
  type RtpengineFixture,
} from '@callctl/testing';

/** SIGSTOP: the process keeps its sockets but answers nothing, as a stalled server does. */
export function pause(process: ManagedProcess): void {
  process.child.kill('SIGSTOP');
}

export function resume(process: ManagedProcess): void {
  process.child.kill('SIGCONT');
}

/** SIGKILL of nats-server; `restart()` of the fixture later starts it on the same port and store. */
export async function killNats(nats: NatsServerFixture): Promise<void> {
  await nats.process.kill();
}

/** rtpengine again with the arguments it had (same ng and media ports), after a SIGKILL. */
export async function killAndRestartRtpengine(
  rtpengine: RtpengineFixture,
  downMs: number,
): Promise<ManagedProcess> {
  const { spawnfile, spawnargs } = rtpengine.process.child;
  await rtpengine.process.kill();
  await new Promise((resolve) => setTimeout(resolve, downMs));
  const proc = startProcess(spawnfile, spawnargs.slice(1));
  await waitFor(
    'rtpengine back on its ng port',
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`rtpengine exited: ${proc.output()}`);
      return (await rtpengine.listCalls().catch(() => undefined)) !== undefined;
    },
    10_000,
    100,
  );
  return proc;
}
