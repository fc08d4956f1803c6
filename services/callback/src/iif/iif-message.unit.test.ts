import fc from 'fast-check';
import {
  acknowledgedResponseId,
  formatAck,
  formatIifMessage,
  formatResponse,
  parseIifMessage,
  type IifMessage,
} from './iif-message.js';

function parsed(datagram: string | Uint8Array): IifMessage {
  const result = parseIifMessage(datagram);
  if (!result.ok) throw new Error(`not parsed: ${result.reason}`);
  return result.message;
}

/** `name=value` as the parser gives it back. */
function param(text: string) {
  const [name = '', ...value] = text.split('=');
  return { name, value: value.join('=') };
}

describe('parseIifMessage', () => {
  it("reads the seed's example, trailing ; and all", () => {
    expect(parsed('REQUEST: id=1234;user1=100;user2=101;duration=3600;')).toEqual({
      method: 'REQUEST',
      params: ['id=1234', 'user1=100', 'user2=101', 'duration=3600'].map(param),
    });
  });

  it('takes no space, or several, after the colon, no trailing ; and a CR/LF line end', () => {
    const expected = parsed('REQUEST: id=1;user1=2');
    expect(parsed('REQUEST:id=1;user1=2')).toEqual(expected);
    expect(parsed('REQUEST:   id=1;user1=2\r\n')).toEqual(expected);
    expect(parsed(Buffer.from('REQUEST: id=1;user1=2\n'))).toEqual(expected);
  });

  it('keeps what the request rules judge: method case, duplicates, segments without =, empty values', () => {
    expect(parsed('request: id=1;id=2;user1;x=')).toEqual({
      method: 'request',
      params: [...['id=1', 'id=2'].map(param), { name: 'user1' }, param('x=')],
    });
    // A value holds anything but `;`, `=` included.
    expect(parsed('REQUEST: id=a=b').params).toEqual([{ name: 'id', value: 'a=b' }]);
  });

  it.each([
    ['', 'empty'],
    ['\r\n', 'empty'],
    ['id=1;user1=2', 'no method'],
    ['RE QUEST: id=1', 'no method'],
    [': id=1', 'no method'],
  ])('refuses %j (%s)', (datagram, reason) => {
    expect(parseIifMessage(datagram)).toEqual({ ok: false, reason });
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(parseIifMessage(Buffer.from([0x52, 0x3a, 0xff, 0xfe, 0x00]))).toEqual({
      ok: false,
      reason: 'not UTF-8',
    });
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = parseIifMessage(bytes);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(typeof parseIifMessage(text).ok).toBe('boolean');
      }),
    );
  });

  it('reads back what formatIifMessage wrote', () => {
    const name = fc.stringMatching(/^[a-z0-9_]{1,12}$/);
    const value = fc.string({ maxLength: 20 }).filter((v) => !/[;\r\n]/.test(v));
    const param = fc.record(
      { name, value: fc.option(value, { nil: undefined }) },
      { requiredKeys: ['name'] },
    );
    const message = fc.record({
      method: fc.stringMatching(/^[A-Za-z]{1,10}$/),
      params: fc.array(param, { maxLength: 8 }),
    });
    fc.assert(
      fc.property(message, fc.boolean(), (m, trailing) => {
        const normalised = {
          method: m.method,
          params: m.params.map((p) => (p.value === undefined ? { name: p.name } : p)),
        };
        expect(parsed(formatIifMessage(normalised, trailing))).toEqual(normalised);
      }),
    );
  });
});

describe('the messages we send', () => {
  it("are exactly the seed's text", () => {
    expect(formatAck('1234', 'ok')).toBe('ACK: id=1234;code=ok');
    expect(formatAck('1234', 'fail')).toBe('ACK: id=1234;code=fail');
    expect(formatResponse('1234', 180)).toBe('RESPONSE: id=1234;real_duration=180;');
  });
});

describe('acknowledgedResponseId', () => {
  it('is the id of exactly `ACK: id=..;code=ok`, in either order, with or without a trailing ;', () => {
    expect(acknowledgedResponseId(parsed('ACK: id=1234;code=ok'))).toBe('1234');
    expect(acknowledgedResponseId(parsed('ACK:code=ok;id=1234;\r\n'))).toBe('1234');
  });

  it.each([
    'ACK: id=1234;code=fail',
    'ACK: id=1234',
    'ACK: id=1234;code=ok;x=1',
    'ack: id=1234;code=ok',
    'ACK: id=;code=ok',
    'RESPONSE: id=1;code=ok',
  ])('is undefined for %j', (datagram) => {
    expect(acknowledgedResponseId(parsed(datagram))).toBeUndefined();
  });
});
