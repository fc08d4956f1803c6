// decide: routes each command to the capability that owns it (call.capabilities.ts). Returns the events
// to append (none for a duplicate fact or an idempotent replay) and the id the request produced, or
// throws a domain error.
import type { CallCommand } from './call.commands';
import type { CallState } from './call.state';
import type { Decision } from './call.guards';
import { callRegistry } from './call.capabilities';

export type { Decision } from './call.guards';

export const decide = (command: CallCommand, state: CallState): Decision =>
  callRegistry.decide(command, state);
