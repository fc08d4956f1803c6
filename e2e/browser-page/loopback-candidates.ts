// The page's SDP goes out with its 127.0.0.1 candidates only. Chromium gathers host candidates on every
// interface; rtpengine would then send ICE checks to the machine's other addresses, and the tests send
// traffic to loopback alone.

const CANDIDATE = /^a=candidate:\S+ \d+ \S+ \d+ (\S+) /;

/** `sdp` without the a=candidate lines whose address is not 127.0.0.1 (end-of-candidates is kept). */
export function keepLoopbackCandidates(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp
    .split(eol)
    .filter((line) => {
      const address = CANDIDATE.exec(line)?.[1];
      return address === undefined || address === '127.0.0.1';
    })
    .join(eol);
}
