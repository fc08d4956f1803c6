import { PEER_ERROR_CODES, PeerError } from '../errors.js';
import { sipOutcomeOf } from './siprec-driver.js';

describe("an SRS attempt's outcome, from sip-edge's error", () => {
  it('takes the status sip-edge names ("SIP <status> ...")', () =>
    expect(
      sipOutcomeOf(new PeerError('sip-edge', PEER_ERROR_CODES.illegalState, 'SIP 486 Busy Here')),
    ).toEqual({ sipStatus: 486, reason: 'sip-edge: SIP 486 Busy Here' }));
  it('takes a timeout without a status as 408 and anything else as 503', () => {
    expect(sipOutcomeOf(new PeerError('sip-edge', PEER_ERROR_CODES.timeout, 'deadline')).sipStatus).toBe(408);
    expect(sipOutcomeOf(new PeerError('sip-edge', PEER_ERROR_CODES.unavailable, 'down')).sipStatus).toBe(503);
    expect(sipOutcomeOf('odd').sipStatus).toBe(503);
  });
});
