import { createLogger } from '@callctl/logging';
import { IllegalStateError } from '../domain/errors.js';
import type { CallCommand } from '../domain/call.commands.js';
import { DeadlineManager } from './deadline-manager.js';
import { PeerError } from './errors.js';

const log = createLogger({ service: 'deadline-test', level: 'silent' });
const ids = { next: () => 'id', fromName: () => 'id' };

function manager(send: (callId: string, command: CallCommand) => Promise<unknown>) {
  const sent: Array<[string, CallCommand]> = [];
  const m = new DeadlineManager({
    send: async (callId, command) => {
      sent.push([callId, command]);
      return send(callId, command);
    },
    clock: Date.now,
    ids,
    log,
    retryMs: 10,
  });
  return { m, sent };
}
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('DeadlineManager', () => {
  it('sends the command of a due deadline once, however often it is armed', async () => {
    const { m, sent } = manager(async () => undefined);
    const due = { kind: 'maxDuration' as const, atMs: Date.now() };
    m.arm('c1', [due]);
    m.arm('c1', [due]);
    await until(() => sent.length > 0 && m.armedFor('c1').length === 0);
    expect(sent).toHaveLength(1);
    expect(sent[0]![1]).toMatchObject({ type: 'Hangup', data: { cause: 8 } });
    m.close();
  });

  it('retries a command that failed for a peer, and drops one the domain refuses', async () => {
    let peerDown = true;
    const { m, sent } = manager(async (_callId, command) => {
      if (command.type === 'Hangup' && peerDown) {
        peerDown = false;
        throw new PeerError('sip-edge', 'UNAVAILABLE', 'down');
      }
      if (command.type === 'RecordCollectTimeout') throw new IllegalStateError('call ended');
    });
    m.arm('c1', [{ kind: 'ringTimeout', legId: 'L', atMs: Date.now() }]);
    m.arm('c2', [{ kind: 'collectTimeout', collectId: 'D', expectedDigits: 0, atMs: Date.now() }]);
    await until(() => sent.filter(([c]) => c === 'c1').length === 2);
    await until(() => m.armedFor('c1').length === 0 && m.armedFor('c2').length === 0);
    expect(sent.filter(([c]) => c === 'c2')).toHaveLength(1);
    m.close();
  });
});
