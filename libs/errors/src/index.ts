export { CallctlError, ERROR_KINDS, errorKindOf, isCallctlError, type ErrorKind } from './callctl-error.js';
