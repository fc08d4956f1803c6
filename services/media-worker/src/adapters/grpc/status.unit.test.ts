import { status } from '@grpc/grpc-js';
import { createLogger } from '@callctl/logging';
import { NotFoundError, TimeoutError, UnavailableError, ValidationError } from '../../domain/errors.js';
import { toServiceError } from '@callctl/errors/grpc';

const log = createLogger({ service: 'status-test', level: 'silent' });

describe('gRPC status mapping', () => {
  it.each([
    [new ValidationError('bad sdp'), status.INVALID_ARGUMENT],
    [new NotFoundError('media file not found: /x.wav'), status.NOT_FOUND],
    [new TimeoutError('rtpengine did not answer'), status.DEADLINE_EXCEEDED],
    [new UnavailableError('rtpengine refused'), status.UNAVAILABLE],
  ])('maps %s to its status and keeps the message', (error, code) => {
    expect(toServiceError(error, log)).toMatchObject({ code, details: error.message });
  });

  it('hides the message of an unexpected error behind INTERNAL', () => {
    expect(toServiceError(new Error('secret detail'), log)).toMatchObject({
      code: status.INTERNAL,
      details: 'internal error',
    });
  });
});
