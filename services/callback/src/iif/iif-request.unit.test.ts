import fc from 'fast-check';
import { parseIifMessage } from './iif-message.js';
import { decideIifRequest, type IifRequestDecision } from './iif-request.js';

const limits = { maxDurationS: 86_400 };

function decide(datagram: string): IifRequestDecision {
  const parsed = parseIifMessage(datagram);
  if (!parsed.ok) throw new Error(`not parsed: ${parsed.reason}`);
  return decideIifRequest(parsed.message, limits);
}

describe('decideIifRequest', () => {
  it("starts the seed's example, ann_id1 left to the core's default", () => {
    expect(decide('REQUEST: id=1234;user1=100;user2=101;duration=3600;')).toEqual({
      kind: 'start',
      id: '1234',
      spec: { user1: '100', user2: '101', maxDurationS: 3600 },
    });
  });

  it('takes the parameters in any order, with the announcements and digits', () => {
    expect(
      decide(
        'REQUEST: ann_digit2=4711;duration=0;ann_id2=12345678;user2=+49#1*2;ann_id1=00080002;user1=a.b_c-d;id=x-1',
      ),
    ).toEqual({
      kind: 'start',
      id: 'x-1',
      spec: {
        user1: 'a.b_c-d',
        user2: '+49#1*2',
        maxDurationS: 0,
        annId1: '00080002',
        annId2: '12345678',
        annDigits2: '4711',
      },
    });
  });

  it('accepts the longest values the seed allows (31 characters) and the largest duration', () => {
    const longest = '1'.repeat(31);
    expect(
      decide(`REQUEST: id=${longest};user1=${longest};user2=${longest};duration=86400;ann_digit2=${longest}`),
    ).toMatchObject({
      kind: 'start',
      id: longest,
    });
  });

  it.each([
    ['request: id=7;user1=100;user2=101;duration=60', 'upper case'],
    ['Request: id=7;user1=100;user2=101;duration=60', 'upper case'],
    ['REQUEST: id=7;user1=100;user2=101', 'missing parameter duration'],
    ['REQUEST: id=7;user2=101;duration=60', 'missing parameter user1'],
    ['REQUEST: id=7;user1=100;user2=101;duration=60;colour=red', 'unknown parameter "colour"'],
    ['REQUEST: id=7;USER1=100;user2=101;duration=60', 'unknown parameter "USER1"'],
    ['REQUEST: id=7; user1=100;user2=101;duration=60', 'unknown parameter " user1"'],
    ['REQUEST: id=7;user1=100;user2=101;duration=60;;', 'unknown parameter ""'],
    ['REQUEST: id=7;user1=100;user1=102;user2=101;duration=60', 'given twice'],
    ['REQUEST: id=7;id=8;user1=100;user2=101;duration=60', 'given twice'],
    ['REQUEST: id=7;user1;user2=101;duration=60', 'has no value'],
    [`REQUEST: id=${'7'.repeat(32)};user1=100;user2=101;duration=60`, 'id must be'],
    ['REQUEST: id=a b;user1=100;user2=101;duration=60', 'id must be'],
    [`REQUEST: id=7;user1=${'1'.repeat(32)};user2=101;duration=60`, 'user1 must be'],
    ['REQUEST: id=7;user1=;user2=101;duration=60', 'user1 must be'],
    ['REQUEST: id=7;user1=100;user2=sip:101@x;duration=60', 'user2 must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=-5', 'duration must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=1.5', 'duration must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=1e3', 'duration must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=', 'duration must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=ten', 'duration must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=86401', 'duration must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=99999999999999999999', 'duration must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=60;ann_id1=1234567', 'ann_id1 must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=60;ann_id2=1234567a', 'ann_id2 must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=60;ann_id2=', 'ann_id2 must be'],
    ['REQUEST: id=7;user1=100;user2=101;duration=60;ann_digit2=12a', 'ann_digit2 must be'],
    [`REQUEST: id=7;user1=100;user2=101;duration=60;ann_digit2=${'1'.repeat(32)}`, 'ann_digit2 must be'],
  ])('answers %j with code=fail (%s)', (datagram, reason) => {
    const decision = decide(datagram);
    expect(decision.kind).toBe('fail');
    expect(decision.kind === 'fail' && decision.id).toBe(/\bid=([^;]*)/.exec(datagram)?.[1]);
    expect(decision.kind === 'fail' && decision.reason).toContain(reason);
  });

  it.each([
    ['REQUEST: user1=100;user2=101;duration=60', 'REQUEST without id'],
    ['REQUEST: id=;user1=100;user2=101;duration=60', 'REQUEST without id'],
    ['REQUEST: id;user1=100;user2=101;duration=60', 'REQUEST without id'],
    ['RESPONSE: id=7;real_duration=1;', 'method RESPONSE'],
    ['HELLO: id=7', 'method HELLO'],
  ])('drops %j (%s: nobody to answer)', (datagram, reason) => {
    expect(decide(datagram)).toEqual({ kind: 'drop', reason });
  });

  it('decides every parsed message without throwing, and answers only what has an id', () => {
    const names = fc.constantFrom(
      'id',
      'user1',
      'user2',
      'duration',
      'ann_id1',
      'ann_id2',
      'ann_digit2',
      'x',
      'ID',
      '',
    );
    const param = fc.tuple(names, fc.option(fc.string({ maxLength: 40 }), { nil: undefined }));
    fc.assert(
      fc.property(
        fc.constantFrom('REQUEST', 'request', 'ACK', 'X'),
        fc.array(param, { maxLength: 9 }),
        (method, params) => {
          const message = {
            method,
            params: params.map(([name, value]) => (value === undefined ? { name } : { name, value })),
          };
          const decision = decideIifRequest(message, limits);
          const id = message.params.find((p) => p.name === 'id')?.value;
          if (decision.kind === 'drop') expect(method.toUpperCase() !== 'REQUEST' || !id).toBe(true);
          else expect(decision.id).toBe(id);
        },
      ),
    );
  });
});
