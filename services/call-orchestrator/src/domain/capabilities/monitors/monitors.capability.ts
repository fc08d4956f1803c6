// Monitoring: supervisors listening to a call (and whispering, barging) through a mixer.
import { onActive, untilEnded, type Capability } from '../capability';
import * as monitors from './monitors.decide';
import { monitorsEvolve } from './monitors.state';

type MonitorCommand = 'MonitorCall' | 'SetMonitorMode' | 'StopMonitor' | 'RecordMixerLost';

export const monitorsCapability: Capability<MonitorCommand, keyof typeof monitorsEvolve> = {
  name: 'monitors',
  decide: {
    MonitorCall: onActive(monitors.monitorCall),
    SetMonitorMode: onActive(monitors.setMonitorMode),
    StopMonitor: monitors.stopMonitorOf,
    RecordMixerLost: untilEnded(monitors.recordMixerLost),
  },
  evolve: monitorsEvolve,
  initial: { monitors: {} },
  onLegAnswered: monitors.onLegAnswered,
  onLegEnded: monitors.onLegEnded,
  onCallEnded: monitors.onCallEnded,
};
