import {
  cseqNumber,
  endsSubscription,
  isReferToProblem,
  isSipfragStatus,
  parseReferTo,
  parseSipfrag,
  readReferEvent,
  replacesDialog,
  sipfragBody,
  subscriptionStateFor,
} from './refer.js';

describe('Refer-To of a REFER', () => {
  it('takes a name-addr and a bare addr-spec (baresip sends the latter)', () => {
    expect(parseReferTo(['<sip:t@127.0.0.1:5093>'])).toEqual({ uri: 'sip:t@127.0.0.1:5093' });
    expect(parseReferTo(['sip:t@127.0.0.1:5093'])).toEqual({ uri: 'sip:t@127.0.0.1:5093' });
    expect(parseReferTo(['"Desk" <sips:desk@example.com;transport=tls>'])).toEqual({
      uri: 'sips:desk@example.com;transport=tls',
    });
  });

  it('takes Replaces out of the URI and reads its Call-ID and tags (escaped, as linphone sends them)', () => {
    const target = parseReferTo([
      '<sip:c@127.0.0.1?Replaces=9YdzBFInyp%3bfrom-tag%3dUo4fzPfTQ%3bto-tag%3d20463SIPpTag011>',
    ]);
    expect(target).toEqual({
      uri: 'sip:c@127.0.0.1',
      replaces: { callId: '9YdzBFInyp', fromTag: 'Uo4fzPfTQ', toTag: '20463SIPpTag011' },
    });
  });

  it('keeps the URI headers other than Replaces', () => {
    expect(parseReferTo(['<sip:c@h?X-A=1&Replaces=abc%3Bto-tag%3Dt%3Bfrom-tag%3Df&X-B=2>'])).toMatchObject({
      uri: 'sip:c@h?X-A=1&X-B=2',
    });
  });

  it.each([
    [[], 'no Refer-To'],
    [['<sip:a@h>, <sip:b@h>'], '2 Refer-To values'],
    [['<sip:a@h>', '<sip:b@h>'], '2 Refer-To values'],
    [['<tel:+15551234>'], 'must be a sip: or sips: URI'],
    [['<http://example.com/x>'], 'not a SIP URI'],
    [['not a uri'], 'not an address'],
    [['<sip:c@h?Replaces=abc%3Bto-tag%3Dt>'], 'malformed Replaces'],
  ])('refuses %j: %s', (values, problem) => {
    const target = parseReferTo(values);
    expect(isReferToProblem(target) && target.problem).toContain(problem);
  });
});

describe('Replaces matched against a dialog', () => {
  const dialog = { callId: 'c1', localTag: 'ours', remoteTag: 'theirs' };

  it('matches the Call-ID and both tags, in either order', () => {
    expect(replacesDialog({ callId: 'c1', toTag: 'ours', fromTag: 'theirs' }, dialog)).toBe(true);
    expect(replacesDialog({ callId: 'c1', toTag: 'theirs', fromTag: 'ours' }, dialog)).toBe(true);
  });

  it('does not match another Call-ID, another tag or the same tag twice', () => {
    expect(replacesDialog({ callId: 'c2', toTag: 'ours', fromTag: 'theirs' }, dialog)).toBe(false);
    expect(replacesDialog({ callId: 'c1', toTag: 'ours', fromTag: 'other' }, dialog)).toBe(false);
    expect(replacesDialog({ callId: 'c1', toTag: 'ours', fromTag: 'ours' }, dialog)).toBe(false);
  });
});

describe('sipfrag bodies and the subscription', () => {
  it('reads the status line of a sipfrag', () => {
    expect(parseSipfrag('SIP/2.0 200 OK\r\n')).toEqual({ status: 200, reason: 'OK' });
    expect(parseSipfrag('SIP/2.0 100 Trying')).toEqual({ status: 100, reason: 'Trying' });
    expect(parseSipfrag('SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n')).toEqual({
      status: 486,
      reason: 'Busy Here',
    });
    expect(parseSipfrag('SIP/2.0 503')).toEqual({ status: 503, reason: '' });
  });

  it('finds no status in a body without a status line', () => {
    expect(parseSipfrag('')).toBeUndefined();
    expect(parseSipfrag('INVITE sip:a@b SIP/2.0\r\n')).toBeUndefined();
    expect(parseSipfrag('SIP/2.0 99 Low')).toBeUndefined();
  });

  it('writes a sipfrag with the standard phrase when no reason is given', () => {
    expect(sipfragBody(180, '')).toBe('SIP/2.0 180 Ringing\r\n');
    expect(sipfragBody(486, 'Busy')).toBe('SIP/2.0 486 Busy\r\n');
  });

  it('keeps the subscription active for 1xx and ends it for a final status', () => {
    expect(subscriptionStateFor(100)).toBe('active;expires=60');
    expect(subscriptionStateFor(200)).toBe('terminated;reason=noresource');
    expect(subscriptionStateFor(603)).toBe('terminated;reason=noresource');
  });

  it('takes a NOTIFY as the last one when its status is final or its subscription terminated', () => {
    expect(endsSubscription('active;expires=60', 180)).toBe(false);
    expect(endsSubscription('active', 200)).toBe(true);
    expect(endsSubscription('terminated;reason=noresource', 100)).toBe(true);
    expect(endsSubscription(undefined, 486)).toBe(true);
  });

  it('accepts 100-699 as a NotifyRefer status', () => {
    expect([99, 100, 699, 700, 200.5].map(isSipfragStatus)).toEqual([false, true, true, false, false]);
  });
});

describe('Event and CSeq of REFER subscriptions', () => {
  it('reads the id of Event: refer', () => {
    expect(readReferEvent('refer;id=2')).toEqual({ kind: 'refer', id: '2' });
    expect(readReferEvent('Refer ; id = 17')).toEqual({ kind: 'refer', id: '17' });
    expect(readReferEvent('refer')).toEqual({ kind: 'refer' });
    expect(readReferEvent(undefined)).toEqual({ kind: 'missing' });
    expect(readReferEvent('presence')).toEqual({ kind: 'other' });
  });

  it('reads the number of a CSeq', () => {
    expect(cseqNumber('12 REFER')).toBe('12');
    expect(cseqNumber('REFER')).toBeUndefined();
  });
});
