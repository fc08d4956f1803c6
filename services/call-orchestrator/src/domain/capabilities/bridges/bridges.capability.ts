// Bridges between answered legs, and Dial (a new leg, bridged on answer when it names a leg).
import { onActive, untilEnded, type Capability, type Started } from '../capability';
import type { Cmd } from '../../call.guards';
import * as bridges from './bridges.decide';
import { bridgesEvolve } from './bridges.state';

type BridgeCommand = 'BridgeLegs' | 'Dial' | 'RecordLegsBridged';

export const bridgesCapability: Capability<BridgeCommand, keyof typeof bridgesEvolve> = {
  name: 'bridges',
  decide: {
    BridgeLegs: onActive(bridges.bridgeLegs),
    Dial: onActive(bridges.dial),
    RecordLegsBridged: untilEnded(bridges.recordLegsBridged),
  },
  evolve: bridgesEvolve,
  initial: { bridges: {} },
  // A bridge, once recorded, stays in the call's state (ended or not).
  settled: {
    RecordLegsBridged: (s: Started, c: Cmd<'RecordLegsBridged'>) => s.bridges[c.data.bridgeId] !== undefined,
  },
  onLegEnded: bridges.endBridgeOfLeg,
};
