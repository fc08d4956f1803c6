// Bounded, seeded fuzz: mutated messages either parse (and every parsed view either works or throws
// SipParseError) or fail with SipParseError. Nothing else may escape, and nothing may take long.
import { readdirSync } from 'node:fs';
import { seededRandom } from '@callctl/testing';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  SipParseError,
  SipRequest,
  StreamFramer,
  parseMessage,
  serializeMessage,
  validateRequest,
} from './index.js';
import { rfc4475Bytes, rfc4475Dir } from './rfc4475.js';

const corpus = readdirSync(rfc4475Dir())
  .filter((f) => f.endsWith('.dat'))
  .map((f) => rfc4475Bytes(f));

const INTERESTING = [
  ';',
  ',',
  '"',
  '\\',
  '<',
  '>',
  ':',
  '@',
  '%',
  '[',
  ']',
  '\r\n',
  '\r\n ',
  ' ',
  '=',
  '?',
  '\0',
  '\xff',
];

function mutate(input: Buffer, random: () => number): Buffer {
  let data = input;
  const n = 1 + Math.floor(random() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(random() * (data.length + 1));
    switch (Math.floor(random() * 7)) {
      case 0: {
        const copy = Buffer.from(data);
        if (at < copy.length) copy[at] = Math.floor(random() * 256);
        data = copy;
        break;
      }
      case 1:
        data = data.subarray(0, at);
        break;
      case 2: {
        const crlf = data.indexOf('\r\n', at);
        if (crlf >= 0) data = Buffer.concat([data.subarray(0, crlf), data.subarray(crlf + 2)]);
        break;
      }
      case 3: {
        const crlf = data.indexOf('\r\n', at);
        if (crlf >= 0)
          data = Buffer.concat([data.subarray(0, crlf), Buffer.from('\r\n'), data.subarray(crlf)]);
        break;
      }
      case 4: {
        const s = INTERESTING[Math.floor(random() * INTERESTING.length)]!;
        data = Buffer.concat([data.subarray(0, at), Buffer.from(s, 'latin1'), data.subarray(at)]);
        break;
      }
      case 5: {
        const big = Buffer.alloc(Math.floor(random() * 70000), random() < 0.5 ? ';' : 'a');
        data = Buffer.concat([data.subarray(0, at), big, data.subarray(at)]);
        break;
      }
      default: {
        const len = Math.floor(random() * 40);
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + len)]);
      }
    }
  }
  return data;
}

function exercise(data: Buffer): void {
  let message;
  try {
    message = parseMessage(data);
  } catch (error) {
    if (!(error instanceof SipParseError)) throw error;
    return;
  }
  for (const view of [
    'callId',
    'cseq',
    'from',
    'to',
    'vias',
    'contacts',
    'maxForwards',
    'contentLength',
  ] as const) {
    try {
      void message[view];
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
    }
  }
  message.getAll('Route');
  if (message instanceof SipRequest) validateRequest(message);
  // Re-serialising normalises (`Name: value`, folds joined, Content-Length added), so a message near the
  // size limit may grow past it; below the limit, whatever parsed must parse again.
  const again = serializeMessage(message);
  if (again.length <= DEFAULT_MAX_MESSAGE_BYTES) parseMessage(again);
}

describe('parser fuzz', () => {
  const seed = Number(process.env.SIP_FUZZ_SEED ?? Date.now() % 1e9);
  const iterations = 20000;

  it(`throws only SipParseError on ${iterations} mutated messages (seed printed on failure)`, () => {
    const random = seededRandom(seed);
    for (let i = 0; i < iterations; i++) {
      const input = mutate(corpus[Math.floor(random() * corpus.length)]!, random);
      const started = process.hrtime.bigint();
      try {
        exercise(input);
        const framer = new StreamFramer();
        try {
          framer.push(input);
        } catch (error) {
          if (!(error instanceof SipParseError)) throw error;
        }
      } catch (error) {
        throw new Error(`fuzz failure, SIP_FUZZ_SEED=${seed} iteration ${i}: ${String(error)}`, {
          cause: error,
        });
      }
      // Not a timing assertion on normal work: only a pathological (super-linear) case can take seconds.
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (ms > 2000) throw new Error(`fuzz: one input took ${ms} ms, SIP_FUZZ_SEED=${seed} iteration ${i}`);
    }
  }, 120000);

  it('parses adversarial shapes in linear time (quotes, brackets, params, folds)', () => {
    const shapes = [
      '"'.repeat(30000),
      '<'.repeat(30000),
      ';a'.repeat(15000),
      '\r\n '.repeat(10000),
      '\\"'.repeat(15000),
    ];
    for (const shape of shapes) {
      for (const header of ['To', 'Via', 'Contact', 'Route', 'CSeq']) {
        exercise(
          Buffer.from(
            `OPTIONS sip:a@b SIP/2.0\r\n${header}: ${shape}\r\nContent-Length: 0\r\n\r\n`,
            'latin1',
          ),
        );
      }
    }
  });
});
