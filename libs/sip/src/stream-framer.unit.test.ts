import { SipParseError, StreamFramer, parseMessage } from './index.js';

const INVITE = Buffer.from(
  'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n' +
    'Content-Length: 13\r\n\r\nab\r\n\r\ncd\r\n\r\nX',
);
const BYE = Buffer.from('BYE sip:bob@example.com SIP/2.0\r\nCall-ID: b\r\nl: 0\r\n\r\n');
const STREAM = Buffer.concat([INVITE, BYE]);

describe('StreamFramer', () => {
  it('frames two messages split at every possible point, body with CRLFCRLF inside kept whole', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const framer = new StreamFramer();
      const out = [...framer.push(STREAM.subarray(0, cut)), ...framer.push(STREAM.subarray(cut))];
      expect(out.map((b) => b.toString('latin1'))).toEqual([
        INVITE.toString('latin1'),
        BYE.toString('latin1'),
      ]);
      expect(framer.pendingBytes).toBe(0);
    }
  });

  it('frames a byte-at-a-time stream', () => {
    const framer = new StreamFramer();
    const out: Buffer[] = [];
    for (const byte of STREAM) out.push(...framer.push(Buffer.from([byte])));
    expect(out).toHaveLength(2);
    expect(parseMessage(out[0]!, { transport: 'stream' }).body.toString()).toBe('ab\r\n\r\ncd\r\n\r\nX');
  });

  it('frames random chunkings of messages interleaved with pings and pongs identically', () => {
    const seed = 20261123;
    let state = seed;
    const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
    for (let round = 0; round < 300; round++) {
      const parts: Buffer[] = [];
      const expected: string[] = [];
      let pings = 0;
      for (let k = 0; k < 6; k++) {
        const pick = random();
        if (pick < 0.2) {
          parts.push(Buffer.from('\r\n\r\n'));
          pings++;
        } else {
          // A lone CRLF (pong) only before a message: CRLF then CRLFCRLF is ambiguous on the wire.
          if (pick < 0.4) parts.push(Buffer.from('\r\n'));
          const message = random() < 0.5 ? INVITE : BYE;
          parts.push(message);
          expected.push(message.toString('latin1'));
        }
      }
      const stream = Buffer.concat(parts);
      const framer = new StreamFramer();
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length;) {
        const size = 1 + Math.floor(random() * 80);
        out.push(...framer.push(stream.subarray(at, at + size)));
        at += size;
      }
      expect({ seed, round, out: out.map((b) => b.toString('latin1')) }).toEqual({
        seed,
        round,
        out: expected,
      });
      expect(framer.pings).toBe(pings);
    }
  });

  it('reports CRLFCRLF keep-alives as pings and skips lone CRLF pongs', () => {
    const pings: number[] = [];
    const framer = new StreamFramer({ onPing: () => pings.push(1) });
    const out = framer.push(Buffer.concat([Buffer.from('\r\n\r\n'), BYE, Buffer.from('\r\n'), BYE]));
    expect(out).toHaveLength(2);
    expect(framer.pings).toBe(1);
    expect(framer.push(Buffer.from('\r\n\r\n'))).toEqual([]);
    expect(pings).toHaveLength(2);
  });

  it('does not keep a view into a chunk the caller reuses', () => {
    const framer = new StreamFramer();
    const chunk = Buffer.from(BYE.subarray(0, 10));
    framer.push(chunk);
    chunk.fill(0x41);
    expect(framer.push(BYE.subarray(10)).map((b) => b.toString('latin1'))).toEqual([BYE.toString('latin1')]);
  });

  it('detects a ping split across chunks', () => {
    const framer = new StreamFramer();
    framer.push(Buffer.from('\r\n'));
    framer.push(Buffer.from('\r\n'));
    expect(framer.pings).toBe(1);
  });

  it('fails a message without Content-Length on a stream', () => {
    const framer = new StreamFramer();
    expect(() => framer.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n'))).toThrow(
      SipParseError,
    );
  });

  it('fails conflicting Content-Length values', () => {
    const framer = new StreamFramer();
    expect(() =>
      framer.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nxx')),
    ).toThrow(/Multiple Content-Length/);
  });

  it('fails with 513 when headers never end within maxMessageBytes', () => {
    const framer = new StreamFramer({ maxMessageBytes: 1000 });
    let error: unknown;
    try {
      for (let i = 0; i < 100; i++) framer.push(Buffer.from('X-Filler: aaaaaaaaaaaaaaaaaaaa\r\n'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SipParseError);
    expect((error as SipParseError).status).toBe(513);
  });

  it('fails with 513 when Content-Length announces more than maxMessageBytes', () => {
    const framer = new StreamFramer({ maxMessageBytes: 1000 });
    expect(() => framer.push(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\n'))).toThrow(
      expect.objectContaining({ status: 513 }),
    );
  });

  it('requires Content-Length when parsing with transport stream', () => {
    expect(() =>
      parseMessage(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n'), { transport: 'stream' }),
    ).toThrow(/Missing Content-Length/);
  });
});
