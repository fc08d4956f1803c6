import { status } from '@grpc/grpc-js';
import { toServiceError } from '@callctl/errors/grpc';
import { createLogger } from '@callctl/logging';
import {
  IllegalStateError,
  LegNotFoundError,
  UnavailableError,
  ValidationError,
} from '../../domain/errors.js';

const log = createLogger({ service: 'sip-edge-status-test', level: 'silent' });

// The SipEdge status table of sip_edge.proto: each sip-edge error reaches the orchestrator as this status.
describe('SipEdge gRPC status table', () => {
  it.each([
    ['unknown leg', new LegNotFoundError('no leg L1 in call C1'), status.NOT_FOUND],
    [
      'wrong SIP state',
      new IllegalStateError('cannot answer leg L1: it is answered'),
      status.FAILED_PRECONDITION,
    ],
    ['bad URI or status', new ValidationError('to_uri is not a SIP URI'), status.INVALID_ARGUMENT],
    ['engine or media-worker down', new UnavailableError('SIP engine not connected'), status.UNAVAILABLE],
  ])('%s → its status, with the message kept', (_label, error, code) => {
    expect(toServiceError(error, log)).toMatchObject({ code, details: error.message });
  });

  it('hides an unexpected error behind INTERNAL', () => {
    expect(toServiceError(new TypeError('dialog.sip is undefined'), log)).toMatchObject({
      code: status.INTERNAL,
      details: 'internal error',
    });
  });
});
