// Monitoring on the wire:
// - The supervisor's INVITE is placed after the append (like Dial's): by MonitorCall itself on a connected
//   call (a failed INVITE ends the leg, hence the monitor, as SUPERVISOR_FAILED / UNREACHABLE), or, when a
//   party's answer dialled it, after that answer's append (an EventsEffect: a failure is logged, and the
//   ring timeout re-armed from the log ends the leg as NO_ANSWER, as after a crash between append and INVITE).
// - StopMonitor hangs the supervisor leg up before the append (as Hangup does). A supervisor leg that ends
//   with the call, or because the mixer died, is hung up after the append (an EventsEffect); so is a
//   three-way participant's (participants.effects.ts places and removes its own).
// - The mixer room, forks and routes follow the monitors and participants (app/monitor-media.ts) after the
//   append of any decision that changes them, in the background (SetMonitorMode waits for it); a failure
//   there never fails the command (the events are facts).
import type { CallCommand } from '../../domain/call.commands.js';
import type { Decision } from '../../domain/call.guards.js';
import { foldEvents, type CallState } from '../../domain/call.state.js';
import { callEvents } from '@callctl/proto';
import { isParty } from '../../domain/capabilities/legs/roles.js';
import { dialledLegNotSent, hangupEndedLegs, placeRequestedLegs } from './legs.effects.js';
import type { CapabilityEffects, EffectPorts, EventsEffect } from './effects.js';

const isSupervisorDial = (e: Decision['events'][number]) =>
  e.type === 'DialRequested' && e.data.role === callEvents.LegRole.LEG_ROLE_SUPERVISOR;

const placeSupervisors = (ports: EffectPorts, callId: string, decision: Decision) =>
  placeRequestedLegs(ports, callId, decision, isSupervisorDial);

/** Commands that place their own INVITEs, or hang their ended legs up themselves before the append. */
const PLACES_ITSELF: ReadonlySet<CallCommand['type']> = new Set([
  'CreateCall',
  'Dial',
  'MonitorCall',
  'AddParticipant',
]);
const HANGS_UP_ITSELF: ReadonlySet<CallCommand['type']> = new Set([
  'Hangup',
  'StopMonitor',
  'RemoveParticipant',
]);
/** Events after which the monitored call's media may have to change. */
const MEDIA_CHANGES: ReadonlySet<string> = new Set([
  'MonitorStarted',
  'MonitorModeChanged',
  'MonitorEnded',
  'ParticipantAdded',
  'ParticipantRemoved',
  'LegAnswered',
  'LegEnded',
  'LegsBridged',
  // A bidirectional stream's bot joins or leaves the room (issue 18).
  'StreamRequested',
  'StreamStopped',
  'StreamFailed',
]);
/** Events after which a member may have left the room (it is torn down once none is left). */
const LEAVES: ReadonlySet<string> = new Set([
  'MonitorEnded',
  'ParticipantRemoved',
  'StreamStopped',
  'StreamFailed',
]);

/** What follows monitoring's events whatever command decided them (see the file comment). */
export const monitorsAfterEvents: EventsEffect = async (ports, callId, command, decision, state) => {
  const log = ports.log?.child({ callId, command: command.type });
  if (!PLACES_ITSELF.has(command.type))
    await placeSupervisors(ports, callId, decision).catch((error: unknown) =>
      log?.warn({ err: error }, 'supervisor INVITE not sent; its ring timeout ends it'),
    );
  if (!HANGS_UP_ITSELF.has(command.type)) {
    const ownEnd = command.type === 'RecordLegEnded' ? command.data.legId : undefined;
    // Supervisors' and participants' legs that ended with their call, or with the mixer.
    const membersEnded: Decision = {
      events: decision.events.filter(
        (e) =>
          e.type === 'LegEnded' &&
          e.data.legId !== ownEnd &&
          state.status !== 'none' &&
          state.legs[e.data.legId] !== undefined &&
          !isParty(state.legs[e.data.legId]),
      ),
    };
    await hangupEndedLegs(ports, callId, membersEnded, 'left the mixer room').catch((error: unknown) =>
      log?.warn({ err: error }, 'supervisor or participant leg not hung up'),
    );
  }
  if (!ports.monitors || !decision.events.some((e) => MEDIA_CHANGES.has(e.type))) return;
  const after: CallState = foldEvents(decision.events, state);
  const ending = decision.events.some((e) => LEAVES.has(e.type));
  if (!ending && !ports.monitors.concerns(callId, after)) return;
  // This runs under the call's lock: a slow or dead mixer must not hold the call's facts (a BYE) back, so
  // only SetMonitorMode waits for its media (its answer then means the new mode is heard), and not for long.
  const driven = ports.monitors.drive(callId, after, ending);
  if (command.type === 'SetMonitorMode')
    await Promise.race([driven, new Promise((resolve) => setTimeout(resolve, MODE_WAIT_MS).unref())]);
};

/** How long SetMonitorMode waits for the media to follow before it answers anyway. */
export const MODE_WAIT_MS = 1000;

export const monitorsEffects: CapabilityEffects = {
  name: 'monitors',
  effects: {
    MonitorCall: {
      after: (ports, callId, _command, decision) => placeSupervisors(ports, callId, decision),
      // The supervisor leg whose INVITE could not be sent ends (and its monitor with it).
      afterFailed: dialledLegNotSent(isSupervisorDial),
    },
    StopMonitor: {
      before: (ports, callId, _command, decision) =>
        hangupEndedLegs(ports, callId, decision, 'monitor stopped'),
    },
  },
  afterEvents: monitorsAfterEvents,
};
