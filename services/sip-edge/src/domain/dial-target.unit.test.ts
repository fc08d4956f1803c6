import { checkDialUri, checkFinalStatus } from './dial-target.js';
import { ValidationError } from './errors.js';

const ctx = { callId: 'C1', legId: 'L1' };

describe('dial targets', () => {
  it.each(['sip:alice@127.0.0.1:5080', 'sips:bob@example.com', 'sip:127.0.0.1:5090;transport=tcp'])(
    'accepts %s',
    (uri) => {
      expect(checkDialUri(` ${uri} `, 'to_uri', ctx)).toBe(uri);
    },
  );

  it.each(['', 'alice', 'tel:+15551234', 'http://example.com', 'sip:', 'sip:alice@host with space'])(
    'refuses %j with a validation error naming the field',
    (uri) => {
      expect(() => checkDialUri(uri, 'to_uri', ctx)).toThrow(ValidationError);
      expect(() => checkDialUri(uri, 'to_uri', ctx)).toThrow(/to_uri/);
    },
  );
});

describe('final statuses an app may send', () => {
  it.each([400, 486, 603, 699])('accepts %i', (status) => {
    expect(checkFinalStatus(status, ctx)).toBe(status);
  });

  it.each([0, 180, 200, 399, 700, 486.5])('refuses %d', (status) => {
    expect(() => checkFinalStatus(status, ctx)).toThrow(ValidationError);
  });
});
