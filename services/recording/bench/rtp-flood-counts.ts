// Reading rtp-flood.ts from the benchmark that started it: its counts, asked for with SIGUSR2.
import { waitFor, type ManagedProcess } from '@callctl/testing';

/** Sent and received since its start; lost since the previous ask (sequence numbers missing per SSRC). */
export async function senderCounts(
  sender: ManagedProcess,
): Promise<{ sent: number; received: number; lost: number }> {
  const before = sender.output().length;
  sender.child.kill('SIGUSR2');
  const line = await waitFor(
    'sender counts',
    () => /sent (\d+) received (\d+) lost (\d+)/.exec(sender.output().slice(before)) ?? undefined,
    5000,
    10,
  );
  return { sent: Number(line[1]), received: Number(line[2]), lost: Number(line[3]) };
}
