export { CallctlError, ERROR_KINDS, errorKindOf, isCallctlError, type ErrorKind } from './callctl-error.js';
export {
  IllegalStateError,
  NotFoundError,
  TimeoutError,
  UnimplementedError,
  UnavailableError,
  ValidationError,
} from './common-errors.js';
