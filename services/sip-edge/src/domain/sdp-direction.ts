// Media direction in SDP (RFC 3264 §5.1, §6.1, §8.4): read from an offer, set on an SDP the platform sends,
// and the direction an answer may carry. Hold is a direction: the holder offers sendonly (it still sends,
// music) or inactive, and the held side answers recvonly or inactive. Pure text work on the SDP the
// platform already has; rtpengine is not asked, since the media path does not change.

/** A media direction attribute, as the SDP's author sees it. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

const isDirection = (value: string): value is Direction => (DIRECTIONS as readonly string[]).includes(value);

interface Flow {
  send: boolean;
  recv: boolean;
}

const flowOf = (direction: Direction): Flow => ({
  send: direction === 'sendrecv' || direction === 'sendonly',
  recv: direction === 'sendrecv' || direction === 'recvonly',
});

const directionOfFlow = ({ send, recv }: Flow): Direction =>
  send ? (recv ? 'sendrecv' : 'sendonly') : recv ? 'recvonly' : 'inactive';

/** Sending only or nothing: the author holds the other side (RFC 3264 §8.4). */
export function isHold(direction: Direction): boolean {
  return direction === 'sendonly' || direction === 'inactive';
}

/** The same stream seen from the other end: what one side sends, the other receives. */
export function mirrored(direction: Direction): Direction {
  const { send, recv } = flowOf(direction);
  return directionOfFlow({ send: recv, recv: send });
}

/**
 * The direction of an answer to an offer of `offered`, by an answerer that wants at most `wanted`: it may
 * send only what the offerer receives, and receive only what it sends (RFC 3264 §6.1).
 */
export function answerDirection(offered: Direction, wanted: Direction): Direction {
  const offer = flowOf(offered);
  const want = flowOf(wanted);
  return directionOfFlow({ send: want.send && offer.recv, recv: want.recv && offer.send });
}

const lines = (sdp: string): string[] => sdp.split(/\r?\n/);

/**
 * The direction of the SDP's first audio stream: its own attribute, else the session's, else sendrecv (the
 * default). An SDP without audio reads as sendrecv.
 */
export function directionOf(sdp: string): Direction {
  let session: Direction | undefined;
  let section: 'session' | 'audio' | 'other' = 'session';
  for (const line of lines(sdp)) {
    if (line.startsWith('m=')) {
      if (section === 'audio') break;
      section = line.startsWith('m=audio ') ? 'audio' : 'other';
      continue;
    }
    const attribute = line.startsWith('a=') ? line.slice(2).trim() : '';
    if (!isDirection(attribute)) continue;
    if (section === 'audio') return attribute;
    if (section === 'session') session = attribute;
  }
  return session ?? 'sendrecv';
}

/** The SDP with every audio stream's direction attribute replaced by `direction` (added where absent). */
export function withDirection(sdp: string, direction: Direction): string {
  const out: string[] = [];
  let inAudio = false;
  const closeAudio = () => {
    if (!inAudio) return;
    // Before the trailing empty line of the text, if the stream is the last one.
    const at = out.length > 0 && out[out.length - 1] === '' ? out.length - 1 : out.length;
    out.splice(at, 0, `a=${direction}`);
  };
  for (const line of lines(sdp)) {
    if (line.startsWith('m=')) {
      closeAudio();
      inAudio = line.startsWith('m=audio ');
    } else if (inAudio && line.startsWith('a=') && isDirection(line.slice(2).trim())) continue;
    out.push(line);
  }
  closeAudio();
  return out.join('\r\n');
}

/** The o= line's session version, or undefined when the line is missing or malformed. */
export function sessionVersionOf(sdp: string): bigint | undefined {
  const origin = lines(sdp).find((line) => line.startsWith('o='));
  const version = origin?.split(/\s+/)[2];
  return version && /^\d+$/.test(version) ? BigInt(version) : undefined;
}

function withSessionVersion(sdp: string, version: bigint): string {
  return lines(sdp)
    .map((line) => {
      if (!line.startsWith('o=')) return line;
      const fields = line.split(/\s+/);
      if (fields.length < 6) return line;
      fields[2] = version.toString();
      return fields.join(' ');
    })
    .join('\r\n');
}

const withoutOrigin = (sdp: string) =>
  lines(sdp)
    .filter((line) => !line.startsWith('o='))
    .join('\r\n');

/**
 * `next`, about to be sent in a dialog whose last SDP from us was `current`, with an o= version the far end
 * reads right (RFC 3264 §8): unchanged when the description is the same, else above the current one. The
 * platform's SDPs come from rtpengine and from its own hold offers, whose versions know nothing of each
 * other; a phone that sees a changed description under an old version may ignore the change.
 */
export function nextLocalSdp(current: string, next: string): string {
  const was = sessionVersionOf(current);
  if (was === undefined) return next;
  if (withoutOrigin(current) === withoutOrigin(next)) return withSessionVersion(next, was);
  const proposed = sessionVersionOf(next);
  return proposed !== undefined && proposed > was ? next : withSessionVersion(next, was + 1n);
}

/** What both directions allow: a stream flows one way only if both let it. */
export function narrowed(a: Direction, b: Direction): Direction {
  const x = flowOf(a);
  const y = flowOf(b);
  return directionOfFlow({ send: x.send && y.send, recv: x.recv && y.recv });
}
