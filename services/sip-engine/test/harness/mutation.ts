// Random mutation of SIP messages for the fuzz tests over the engine's UDP and TCP listeners. Every mutant
// that still starts like a request gets our own Via on top (127.0.0.1, rport), so whatever the engine
// answers goes to loopback; messages carrying a maddr are left out of the corpus for the same reason (RFC
// 3261 18.2.2 would send the answer there).
import { readdirSync } from 'node:fs';
import { rfc4475Bytes, rfc4475Dir } from '@callctl/sip/rfc4475';

const SDP =
  'v=0\r\no=fuzz 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const VALID = [
  `INVITE sip:bob@127.0.0.1 SIP/2.0\r\nMax-Forwards: 70\r\nFrom: "A" <sip:a@127.0.0.1>;tag=1\r\n` +
    `To: <sip:bob@127.0.0.1>\r\nCall-ID: fuzz-invite\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:5999>\r\n` +
    `Content-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`,
  'BYE sip:bob@127.0.0.1 SIP/2.0\r\nMax-Forwards: 70\r\nf: <sip:a@127.0.0.1>;tag=1\r\nt: <sip:bob@127.0.0.1>;tag=2\r\n' +
    'i: fuzz-bye\r\nCSeq: 2 BYE\r\nl: 0\r\n\r\n',
  'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKfuzz\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n' +
    'To: <sip:bob@127.0.0.1>;tag=2\r\nCall-ID: fuzz-resp\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
].map((text) => Buffer.from(text, 'latin1'));

/** Seeds for mutation: a few valid messages plus the RFC 4475 set (those with a maddr left out). */
export function corpus(): Buffer[] {
  const torture = readdirSync(rfc4475Dir())
    .filter((file) => file.endsWith('.dat'))
    .map((file) => rfc4475Bytes(file))
    .filter((data) => !data.includes('maddr'));
  return [...VALID, ...torture];
}

const INTERESTING = Buffer.from(' \t\r\n:;,<>"\\%@=/?\0\x7f\xff0123456789', 'latin1');
const BIG_NUMBERS = ['4294967296', '-1', '99999999999999999999', '0', '18446744073709551616'];

/** One mutation of `data`, chosen and placed by `rand`. */
export function mutate(data: Buffer, rand: () => number, others: Buffer[]): Buffer {
  const at = (n: number) => Math.floor(rand() * n);
  const pos = at(data.length + 1);
  switch (at(9)) {
    case 0: {
      const copy = Buffer.from(data);
      if (copy.length) copy[at(copy.length)]! ^= 1 << at(8);
      return copy;
    }
    case 1: {
      const copy = Buffer.from(data);
      if (copy.length) copy[at(copy.length)] = INTERESTING[at(INTERESTING.length)]!;
      return copy;
    }
    case 2:
      return Buffer.concat([data.subarray(0, pos), randomBuffer(at(64), rand), data.subarray(pos)]);
    case 3:
      return Buffer.concat([data.subarray(0, pos), data.subarray(Math.min(data.length, pos + 1 + at(40)))]);
    case 4: {
      const end = Math.min(data.length, pos + at(200));
      const times = 1 + at(20);
      return Buffer.concat([
        data.subarray(0, end),
        ...Array(times).fill(data.subarray(pos, end)),
        data.subarray(end),
      ]);
    }
    case 5:
      return data.subarray(0, pos);
    case 6: {
      const other = others[at(others.length)]!;
      return Buffer.concat([data.subarray(0, pos), other.subarray(at(other.length))]);
    }
    case 7: {
      const text = data.toString('latin1');
      const digits = [...text.matchAll(/\d+/g)];
      const hit = digits[at(digits.length)];
      if (!hit || hit.index === undefined) return data;
      const value = BIG_NUMBERS[at(BIG_NUMBERS.length)]!;
      return Buffer.from(text.slice(0, hit.index) + value + text.slice(hit.index + hit[0].length), 'latin1');
    }
    default: {
      // A header line repeated many times, towards the size limits.
      const text = data.toString('latin1');
      const lines = text.split('\r\n');
      const line = lines[1 + at(Math.max(1, lines.length - 1))] ?? '';
      lines.splice(1, 0, ...Array(1 + at(300)).fill(line));
      return Buffer.from(lines.join('\r\n'), 'latin1');
    }
  }
}

function randomBuffer(length: number, rand: () => number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** Our Via on top of anything that still looks like a request, so answers come back to loopback. */
export function routedToUs(data: Buffer, transport: 'UDP' | 'TCP', port: number, rand: () => number): Buffer {
  const eol = data.indexOf('\r\n');
  if (eol < 0 || data.subarray(0, 8).toString('latin1') === 'SIP/2.0 ') return data;
  const branch = Math.floor(rand() * 2 ** 32).toString(16);
  const via = Buffer.from(`Via: SIP/2.0/${transport} 127.0.0.1:${port};rport;branch=z9hG4bK${branch}\r\n`);
  return Buffer.concat([data.subarray(0, eol + 2), via, data.subarray(eol + 2)]);
}
