import { parseServer } from './sip-resolver.js';

describe('parseServer (the forms Node lists the system DNS servers in)', () => {
  it.each([
    ['127.0.0.53', { address: '127.0.0.53', port: 53 }],
    ['127.0.0.1:5353', { address: '127.0.0.1', port: 5353 }],
    ['2001:db8::1', { address: '2001:db8::1', port: 53 }],
    ['[2001:db8::1]:1053', { address: '2001:db8::1', port: 1053 }],
  ])('%s', (text, peer) => expect(parseServer(text)).toEqual(peer));
});
