// Front door for tests and for anything that wants the CLI's parsing and formatting; the executable is
// main.ts (bin/callctl.js).
export {
  parseCommandLine,
  mainHelp,
  commandHelp,
  commandUsage,
  DEFAULT_ORCHESTRATOR_PORT,
  DEFAULT_TIMEOUT_MS,
  type CommandLine,
} from './command-line.js';
export {
  COMMAND_GROUPS,
  COMMAND_NAMES,
  DEFAULT_FROM_URI,
  type CommandLineContext,
  type Invocation,
  type MediaCall,
  type UnaryCall,
} from './commands.js';
export { DEFAULT_CALLBACK_PORT, type CallbackCall, type CallbackInvocation } from './callback-commands.js';
export { callbackEventLine, callbackResponseText, callbackText } from './callback-output.js';
export { parseDurationMs, parseCount } from './duration.js';
export { eventLine } from './event-line.js';
export {
  callText,
  mediaText,
  mediaResponseText,
  responseText,
  responseJson,
  eventJson,
  grpcErrorText,
} from './output.js';
export { run, EXIT_OK, EXIT_FAILED, EXIT_USAGE, type Output } from './run.js';
export { UsageError } from './usage-error.js';
