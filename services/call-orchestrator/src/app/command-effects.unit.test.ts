import { ERROR_KINDS } from '@callctl/errors';
import * as b from '../domain/testing/builders';
import { CommandEffects } from './command-effects';
import { NotSupportedError } from './errors';
import type { MediaPort, SipEdgePort } from './ports';

// Every port method fails the test if called: BridgeLegs must be refused before any peer is asked.
const untouchable = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_target, method) => () => {
      throw new Error(`${name}.${String(method)} must not be called`);
    },
  });

describe('CommandEffects', () => {
  const effects = new CommandEffects(untouchable<SipEdgePort>('sipEdge'), untouchable<MediaPort>('media'));

  it('refuses BridgeLegs as not supported yet (UNIMPLEMENTED), before the append, naming the alternative', async () => {
    const command = b.bridgeLegs('A', 'B');
    const refusal = effects.before('C1', command, { events: [], resultId: 'BR1' });
    await expect(refusal).rejects.toBeInstanceOf(NotSupportedError);
    await expect(refusal).rejects.toMatchObject({
      kind: ERROR_KINDS.unimplemented,
      message: expect.stringMatching(/bridge_with_leg_id/),
    });
  });
});
