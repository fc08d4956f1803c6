// decide: routes each command to its function. Returns the events to append (none for a duplicate fact
// or an idempotent replay) and the id the request produced, or throws a domain error.
import type { CallCommand } from './call.commands';
import type { CallState } from './call.state';
import { active, type Decision } from './call.guards';
import { bridgeLegs, dial, recordLegsBridged } from './bridges.decide';
import { collectDigits, recordCollectTimeout, recordDtmf } from './collect-digits';
import {
  answerLeg,
  createCall,
  hangup,
  recordInboundCall,
  recordLegAnswered,
  recordLegEnded,
  recordLegInitiated,
  recordLegRinging,
  rejectLeg,
} from './legs.decide';
import { playMedia, recordPlaybackFinished, startEcho, stopEcho, stopMedia } from './media.decide';
import { ValidationError } from './errors';

export type { Decision } from './call.guards';
const none: Decision = { events: [] };

export function decide(command: CallCommand, state: CallState): Decision {
  switch (command.type) {
    case 'CreateCall':
      return createCall(state, command);
    case 'RecordInboundCall':
      return recordInboundCall(state, command);
    case 'Hangup':
      return hangup(state, command);
    case 'AnswerLeg':
      return answerLeg(active(state), command);
    case 'RejectLeg':
      return rejectLeg(active(state), command);
    case 'PlayMedia':
      return playMedia(active(state), command);
    case 'StopMedia':
      return stopMedia(active(state), command);
    case 'CollectDigits':
      return collectDigits(active(state), command);
    case 'StartEcho':
      return startEcho(active(state), command);
    case 'StopEcho':
      return stopEcho(active(state), command);
    case 'BridgeLegs':
      return bridgeLegs(active(state), command);
    case 'Dial':
      return dial(active(state), command);
    case 'RecordLegInitiated':
      return recordLegInitiated(active(state), command);
    case 'RecordLegRinging':
      return recordLegRinging(active(state), command);
    case 'RecordLegAnswered':
      return recordLegAnswered(active(state), command);
    case 'RecordLegEnded':
      return state.status === 'ended' ? none : recordLegEnded(active(state), command);
    case 'RecordLegsBridged':
      return state.status === 'ended' ? none : recordLegsBridged(active(state), command);
    case 'RecordDtmf':
      return recordDtmf(active(state), command);
    case 'RecordPlaybackFinished':
      return state.status === 'ended' ? none : recordPlaybackFinished(active(state), command);
    case 'RecordCollectTimeout':
      return state.status === 'ended' ? none : recordCollectTimeout(active(state), command);
    default: {
      const unknown: never = command;
      throw new ValidationError(`unknown command ${(unknown as { type: string }).type}`);
    }
  }
}
