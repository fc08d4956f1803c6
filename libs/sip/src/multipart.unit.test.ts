import fc from 'fast-check';
import {
  MultipartError,
  headerParameter,
  partHeader,
  readMultipart,
  writeMultipart,
  type BodyPart,
} from './multipart';

const sdp =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const xml = '<?xml version="1.0" encoding="UTF-8"?>\r\n<recording/>\r\n';
// Two parts as a SIP body carries them (RFC 5621): each with its own Content-Type and disposition.
const parts: BodyPart[] = [
  { headers: [['Content-Type', 'application/sdp']], body: sdp },
  {
    headers: [
      ['Content-Type', 'application/xml'],
      ['Content-ID', '<part2@example.com>'],
      ['Content-Disposition', 'render;handling=optional'],
    ],
    body: xml,
  },
];

describe('multipart/mixed', () => {
  it('writes each part after its delimiter with its headers, CRLF line ends, and a closing delimiter', () => {
    const written = writeMultipart(parts, 'b1');
    expect(written.contentType).toBe('multipart/mixed;boundary=b1');
    expect(written.body).toBe(
      '--b1\r\nContent-Type: application/sdp\r\n\r\n' +
        sdp +
        '\r\n--b1\r\nContent-Type: application/xml\r\nContent-ID: <part2@example.com>\r\nContent-Disposition: render;handling=optional\r\n\r\n' +
        xml +
        '\r\n--b1--\r\n',
    );
  });

  it('chooses a random boundary of bchars when the one given occurs in a part', () => {
    const written = writeMultipart([{ headers: [], body: 'a --b1 b' }], 'b1');
    expect(written.boundary).toMatch(/^[A-Za-z0-9-]{1,70}$/);
    expect(written.boundary).not.toBe('b1');
  });

  it('reads what vendors send: a quoted boundary, a preamble, LF line ends, no final line end', () => {
    const body =
      'preamble\n--x y\nContent-Type: application/sdp\n\nv=0\n\n--x y\ncontent-type: application/rs-metadata\n\n<r/>\n--x y--';
    const parts = readMultipart('multipart/mixed; boundary="x y"', body);
    expect(parts.map((p) => partHeader(p, 'content-type'))).toEqual([
      'application/sdp',
      'application/rs-metadata',
    ]);
    expect(parts.map((p) => p.body)).toEqual(['v=0\n', '<r/>']);
  });

  it('refuses a body without a boundary or without its closing delimiter', () => {
    expect(() => readMultipart('multipart/mixed', '--a\r\n\r\nx\r\n--a--')).toThrow(MultipartError);
    expect(() => readMultipart('multipart/mixed;boundary=a', '--a\r\n\r\nx\r\n')).toThrow(MultipartError);
  });

  it('reads the boundary parameter whatever its case and spacing', () => {
    expect(headerParameter('multipart/mixed ; Boundary = abc ;x=1', 'boundary')).toBe('abc');
  });

  it('round-trips any parts: the boundary never cuts a part, headers and bodies come back as written', () => {
    const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
    const value = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
    const part = fc.record({
      headers: fc.array(fc.tuple(token, value), { maxLength: 3 }),
      body: fc.oneof(fc.string({ maxLength: 200 }), fc.constant('--callctl-'), fc.constant('\r\n--')),
    });
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 4 }),
        fc.option(token, { nil: undefined }),
        (parts, b) => {
          const written = writeMultipart(parts, b);
          expect(readMultipart(written.contentType, written.body)).toEqual(parts);
        },
      ),
    );
  });
});
