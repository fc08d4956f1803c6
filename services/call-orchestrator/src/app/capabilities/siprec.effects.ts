// SIPREC on the wire around the public requests (the start is the SIPREC driver's, after the append:
// app/process-managers/siprec-driver.ts):
// - PauseSiprec and ResumeSiprec: before the append (a refusal of the SRS or the media-worker records
//   nothing and reaches the caller): pause stops the fork and re-INVITEs the SRS a=inactive; resume forks the
//   parties again and re-INVITEs a=sendonly with the new offer (the parties of now, when the decision
//   recorded them as SiprecUpdated).
// - A SIPREC session stopped by any decision (StopSiprec, the call's end, the SRS's BYE): after the append,
//   BYE to the SRS (not when the SRS ended it) and the fork stopped; failures are logged (sip-edge BYEs its
//   sessions when it shuts down, and rtpengine drops the fork with the call's media).
import type { CallState } from '../../domain/call.state.js';
import type { Decision } from '../../domain/call.guards.js';
import { SiprecStopReason, type Siprec } from '../../domain/capabilities/siprec/siprec.state.js';
import type { SiprecWire } from '../siprec-wire.js';
import type { CapabilityEffects, EffectPorts, EventsEffect, Started } from './effects.js';

function wireOf(ports: EffectPorts): SiprecWire {
  if (!ports.siprec) throw new Error('SIPREC is not configured in this process');
  return ports.siprec;
}

function siprecIn(state: CallState, siprecId: string): { state: Started; siprec: Siprec } {
  const siprec = state.status === 'none' ? undefined : state.siprecs[siprecId];
  if (state.status === 'none' || !siprec) throw new Error(`no SIPREC session ${siprecId}`);
  return { state, siprec };
}

/** Ends the recording sessions the decision stopped (with BYE unless the SRS hung up itself). */
export const endStoppedSiprecs: EventsEffect = async (ports, _callId, _command, decision, state) => {
  if (state.status === 'none' || !ports.siprec) return;
  for (const e of decision.events) {
    if (e.type !== 'SiprecStopped') continue;
    const siprec = state.siprecs[e.data.siprecId];
    if (!siprec) continue;
    await ports.siprec.end(state, siprec, {
      bye: e.data.reason !== SiprecStopReason.SIPREC_STOP_REASON_SRS_ENDED,
    });
  }
};

/** The legs a resume forks: those its decision recorded as updated, else the session's. */
const legsResumed = (decision: Decision, siprec: Siprec): readonly string[] => {
  const updated = decision.events.find((e) => e.type === 'SiprecUpdated');
  return updated?.type === 'SiprecUpdated' ? updated.data.legIds : siprec.legIds;
};

export const siprecEffects: CapabilityEffects = {
  name: 'siprec',
  effects: {
    PauseSiprec: {
      before: async (ports, _callId, command, _decision, at) => {
        const { state, siprec } = siprecIn(at, command.data.siprecId);
        await wireOf(ports).pause(state, siprec);
      },
    },
    ResumeSiprec: {
      before: async (ports, _callId, command, decision, at) => {
        const { state, siprec } = siprecIn(at, command.data.siprecId);
        await wireOf(ports).refork(state, siprec, legsResumed(decision, siprec));
      },
    },
  },
  afterEvents: endStoppedSiprecs,
};
