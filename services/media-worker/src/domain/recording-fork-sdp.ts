// SIPREC's fork offer (RFC 7866 §8.1.1), pure: rtpengine's `subscribe request` with the SIPREC flag gives one
// sendonly m-line per party in the order of the request's from-tags, each with an `a=label` of its own
// choosing (the party's media label inside rtpengine: "0", "1", … in the order the parties were first
// subscribed, never what the caller asks; its `set-label` names the subscriber, not the m-lines, and its
// `label` selects a monologue by label). The labels only bind the SDP to the rs-metadata between the platform
// and the SRS, and rtpengine matches the SRS's answer by m-line position, so the platform writes its own.
import { ValidationError } from './errors.js';

/** A label the SDP and the XML can carry: a token (RFC 4574 allows any; SRSs take short ones). */
const LABEL = /^[A-Za-z0-9._~+-]{1,64}$/;

export interface RecordingForkRequest {
  sessionId: string;
  forkId: string;
  /** The parties, in m-line order. */
  fromTags: readonly string[];
  /** a=label of each m-line, in the same order; "1", "2", … when empty. */
  labels: readonly string[];
}

/** The labels the request asks for: its own, or "1", "2", … (one per party). ValidationError when unusable. */
export function checkRecordingForkRequest(request: RecordingForkRequest): string[] {
  const { sessionId, forkId, fromTags, labels } = request;
  if (!sessionId) throw new ValidationError('session_id is required');
  if (!forkId) throw new ValidationError('fork_id is required', { sessionId });
  if (fromTags.length === 0)
    throw new ValidationError('from_tags must name at least one party', { sessionId });
  if (fromTags.some((tag) => !tag)) throw new ValidationError('from_tags holds an empty tag', { sessionId });
  if (new Set(fromTags).size !== fromTags.length)
    throw new ValidationError('from_tags names a party twice', { sessionId });
  const chosen = labels.length === 0 ? fromTags.map((_, i) => String(i + 1)) : [...labels];
  if (chosen.length !== fromTags.length)
    throw new ValidationError(`${labels.length} labels for ${fromTags.length} parties`, { sessionId });
  const bad = chosen.find((label) => !LABEL.test(label));
  if (bad !== undefined)
    throw new ValidationError(`label ${JSON.stringify(bad)} is not a token`, { sessionId });
  if (new Set(chosen).size !== chosen.length)
    throw new ValidationError('a label is used twice', { sessionId });
  return chosen;
}

/**
 * rtpengine's offer with the m-line of party `offeredTags[i]` labelled `labels[fromTags.indexOf(…)]`: every
 * audio m-line gets exactly one a=label (after its c=/first attributes, where rtpengine puts its own), and a
 * direction of sendonly (the SRS only receives).
 */
export function labelledRecordingOffer(
  sdp: string,
  request: Pick<RecordingForkRequest, 'fromTags'>,
  labels: readonly string[],
  offeredTags: readonly string[],
): string {
  const labelOf = (index: number): string => {
    const tag = offeredTags[index];
    const label = tag === undefined ? undefined : labels[request.fromTags.indexOf(tag)];
    if (label === undefined)
      throw new ValidationError(`m-line ${index + 1} of the fork offer is for no requested party`);
    return label;
  };
  const lines = sdp.split(/\r?\n/);
  const trailing = lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  // Sections: the session part, then one per m-line.
  const sections: string[][] = [[]];
  for (const line of lines) {
    if (line.startsWith('m=')) sections.push([]);
    sections[sections.length - 1]!.push(line);
  }
  const media = sections.slice(1);
  if (media.length !== offeredTags.length)
    throw new ValidationError(`the fork offer has ${media.length} m-lines for ${offeredTags.length} parties`);
  const rewritten = media.map((section, index) => {
    if (!section[0]!.startsWith('m=audio ')) return section;
    const kept = section.filter((line) => !line.startsWith('a=label:') && !DIRECTION.test(line));
    // Attributes come last in a media description (RFC 4566 §5: m=, i=, c=, b=, k=, then a=).
    const firstAttribute = kept.findIndex((line) => line.startsWith('a='));
    const at = firstAttribute < 0 ? kept.length : firstAttribute;
    return [...kept.slice(0, at), `a=label:${labelOf(index)}`, 'a=sendonly', ...kept.slice(at)];
  });
  return (
    [...withSessionConnection(sections[0]!, media), ...rewritten.flat()].join('\r\n') +
    (trailing ? '\r\n' : '')
  );
}

/**
 * The session part with a session-level c= when it has none and every m-line has the same one: rtpengine
 * writes c= per m-line only, and recorders in the field expect one before t= (drachtio's SRS fails without
 * it, as with Sonus offers). The m-lines keep theirs (RFC 4566 §5.7: a media c= overrides the session's).
 */
function withSessionConnection(session: readonly string[], media: readonly string[][]): string[] {
  if (session.some((line) => line.startsWith('c='))) return [...session];
  const connections = new Set(media.map((section) => section.find((line) => line.startsWith('c='))));
  const [connection] = connections;
  if (connections.size !== 1 || connection === undefined) return [...session];
  // RFC 4566 §5 order: v= o= s= i= u= e= p= c= b= t= …
  const at = session.findIndex((line) => /^[btrzka]=/.test(line));
  const before = at < 0 ? session.length : at;
  return [...session.slice(0, before), connection, ...session.slice(before)];
}

const DIRECTION = /^a=(sendrecv|sendonly|recvonly|inactive)$/;

/** An SRS's answer must describe audio: without an m=audio line rtpengine would fork to nowhere. */
export function checkRecordingForkAnswer(sdp: string): void {
  if (!/^m=audio /m.test(sdp)) throw new ValidationError('the answer SDP has no audio m-line');
}
