// A minimal rtpengine ng client for the fork test (bencode over UDP with nested lists and dictionaries),
// written here so that the library's tests do not depend on a service's client.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

export type Bencodable = string | number | readonly Bencodable[] | { readonly [key: string]: Bencodable };
export type Decoded = string | number | Decoded[] | { [key: string]: Decoded };

export function bencode(value: Bencodable): Buffer {
  if (typeof value === 'number') return Buffer.from(`i${Math.trunc(value)}e`);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([Buffer.from(`${bytes.length}:`), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')]);
  const dict = value as { readonly [key: string]: Bencodable };
  const keys = Object.keys(dict).sort();
  return Buffer.concat([
    Buffer.from('d'),
    ...keys.flatMap((k) => [bencode(k), bencode(dict[k]!)]),
    Buffer.from('e'),
  ]);
}

export function bdecode(bytes: Buffer): Decoded {
  let at = 0;
  const read = (): Decoded => {
    const c = String.fromCharCode(bytes[at]!);
    if (c === 'i') {
      const end = bytes.indexOf(0x65, at);
      const n = Number(bytes.toString('latin1', at + 1, end));
      at = end + 1;
      return n;
    }
    if (c === 'l') {
      at++;
      const list: Decoded[] = [];
      while (bytes[at] !== 0x65) list.push(read());
      at++;
      return list;
    }
    if (c === 'd') {
      at++;
      const dict: Record<string, Decoded> = {};
      while (bytes[at] !== 0x65) {
        const key = read() as string;
        dict[key] = read();
      }
      at++;
      return dict;
    }
    const colon = bytes.indexOf(0x3a, at);
    const length = Number(bytes.toString('latin1', at, colon));
    const value = bytes.toString('utf8', colon + 1, colon + 1 + length);
    at = colon + 1 + length;
    return value;
  };
  return read();
}

/** One ng command; rejects on an error reply or no reply within `timeoutMs`. */
export function ng(
  port: number,
  command: string,
  args: Record<string, Bencodable>,
  timeoutMs = 3000,
): Promise<Record<string, Decoded>> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const cookie = randomBytes(8).toString('hex');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`rtpengine ${command}: no reply in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (message) => {
      if (message.toString('latin1', 0, cookie.length + 1) !== `${cookie} `) return;
      clearTimeout(timer);
      socket.close();
      const reply = bdecode(message.subarray(cookie.length + 1)) as Record<string, Decoded>;
      if (reply.result !== 'ok') reject(new Error(`rtpengine ${command}: ${JSON.stringify(reply)}`));
      else resolve(reply);
    });
    socket.send(Buffer.concat([Buffer.from(`${cookie} `), bencode({ ...args, command })]), port, '127.0.0.1');
  });
}
