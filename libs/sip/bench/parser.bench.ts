// Parser throughput: parse only, parse + the headers a transaction layer reads, and serialize.
// Bounded: each case runs for about 1 s after a short warm-up. Figures are disturbed by whatever else
// runs on the machine; compare ratios between cases rather than absolute numbers across runs.
import { SipRequest, parseMessage, serializeMessage } from '../src/index.js';

const SDP =
  'v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n' +
  'm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n' +
  'a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n';

const COMMON =
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport\r\nVia: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKnashds8;received=192.0.2.1\r\n' +
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\nTo: <sip:bob@biloxi.example.com>\r\n' +
  'Call-ID: 3848276298220188511@atlanta.example.com\r\n';

const MESSAGES: Record<string, Buffer> = {
  'INVITE with SDP': Buffer.from(
    `INVITE sip:bob@biloxi.example.com SIP/2.0\r\n${COMMON}CSeq: 1 INVITE\r\nMax-Forwards: 70\r\n` +
      'Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r\n' +
      'Supported: timer, replaces\r\nUser-Agent: bench/1.0\r\nContent-Type: application/sdp\r\n' +
      `Content-Length: ${SDP.length}\r\n\r\n${SDP}`,
  ),
  '200 OK': Buffer.from(
    `SIP/2.0 200 OK\r\n${COMMON.replace('To: <sip:bob@biloxi.example.com>', 'To: <sip:bob@biloxi.example.com>;tag=8321234356')}` +
      'CSeq: 1 INVITE\r\nContact: <sip:bob@192.0.2.4>\r\nContent-Type: application/sdp\r\n' +
      `Content-Length: ${SDP.length}\r\n\r\n${SDP}`,
  ),
  BYE: Buffer.from(
    `BYE sip:bob@192.0.2.4 SIP/2.0\r\n${COMMON.replace('To: <sip:bob@biloxi.example.com>', 'To: <sip:bob@biloxi.example.com>;tag=8321234356')}` +
      'CSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  ),
};

function measure(name: string, work: () => void): number {
  for (let i = 0; i < 5000; i++) work();
  let n = 0;
  const started = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (elapsedNs < 1_000_000_000n) {
    for (let i = 0; i < 1000; i++) work();
    n += 1000;
    elapsedNs = process.hrtime.bigint() - started;
  }
  const perSecond = (n * 1e9) / Number(elapsedNs);
  console.log(
    `${name.padEnd(44)} ${Math.round(perSecond).toString().padStart(9)} msgs/s ${(1e6 / perSecond).toFixed(2).padStart(7)} µs/msg`,
  );
  return perSecond;
}

let sink = 0;
const results: Record<string, number> = {};
for (const [label, data] of Object.entries(MESSAGES)) {
  results[`parse ${label}`] = measure(`parse ${label}`, () => {
    sink += parseMessage(data).headers.length;
  });
  results[`parse+txn ${label}`] = measure(`parse + top Via branch, CSeq, Call-ID, tags ${label}`, () => {
    const m = parseMessage(data);
    sink +=
      m.topVia.branch!.length +
      m.cseq.seq +
      m.callId.length +
      (m.from.tag?.length ?? 0) +
      (m.to.tag?.length ?? 0);
    if (m instanceof SipRequest) sink += m.method.length;
  });
  const parsed = parseMessage(data);
  results[`serialize ${label}`] = measure(`serialize ${label}`, () => {
    sink += serializeMessage(parsed).length;
  });
}
const invite = results['parse INVITE with SDP']!;
console.log(
  `ratio parse+txn / parse (INVITE): ${(results['parse+txn INVITE with SDP']! / invite).toFixed(2)}`,
);
if (sink === 0 || !Number.isFinite(invite)) process.exit(1);
