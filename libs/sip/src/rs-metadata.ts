// The recording metadata a Session Recording Client sends (RFC 7865, `application/rs-metadata+xml`): the
// recording session, its participants (by address of record), the media streams (by the SDP's a=label) and
// which participant sends and receives which stream. Written with `datamode` complete, as every update
// carries the whole picture: SRSs in the field handle complete snapshots, few handle partial updates.
// Ids are opaque here; the client chooses them (base64 of a UUID is what SRSs expect).

export const RECORDING_NAMESPACE = 'urn:ietf:params:xml:ns:recording:1';
/** The namespace of the platform's own <extensiondata> elements. */
export const EXTENSION_NAMESPACE = 'urn:callctl:siprec:1';
/** The prefix of the platform's <extensiondata> elements (`<callctl:callId>`). */
export const EXTENSION_PREFIX = 'callctl';

export interface RecordingParticipant {
  participantId: string;
  /** sip:/tel: address of record. */
  aor: string;
  /** Display name; left out when empty. */
  name?: string;
  sendStreamIds: readonly string[];
  recvStreamIds: readonly string[];
}

export interface RecordingStream {
  streamId: string;
  /** Equal to the a=label of the stream's m-line. */
  label: string;
}

export interface RecordingMetadata {
  sessionId: string;
  /** The recorded call's SIP Call-IDs. */
  sipSessionIds: readonly string[];
  participants: readonly RecordingParticipant[];
  streams: readonly RecordingStream[];
  /** Written as `<callctl:key>value</callctl:key>` inside <extensiondata>; keys must be XML names. */
  extensionData?: Readonly<Record<string, string>>;
}

/** A metadata field that cannot be written as the XML asks (an extension key that is not an XML name). */
export class RecordingMetadataError extends Error {
  override readonly name = 'RecordingMetadataError';
  readonly code = 'RECORDING_METADATA_INVALID';
}

// Characters XML 1.0 cannot carry at all (§2.2: controls other than tab, LF, CR; lone surrogates; U+FFFE,
// U+FFFF); a value from a SIP header may hold them, and one of them would make the whole document unreadable.
const NOT_XML_CHAR =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // Kept as written: a parser would normalise a raw CR (and tab/LF inside an attribute) away.
  '\r': '&#13;',
  '\n': '&#10;',
  '\t': '&#9;',
};

/** Text or attribute value escaped for XML; characters XML cannot carry become U+FFFD. */
export function escapeXml(value: string): string {
  return value.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"'\r\n\t]/g, (c) => ENTITIES[c] ?? c);
}

// An NCName without the non-ASCII ranges: enough for the platform's keys, and certain to be a valid name.
const XML_NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

const element = (name: string, attributes: Record<string, string>, children: string | null): string => {
  const attrs = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${escapeXml(value)}"`)
    .join('');
  return children === null ? `<${name}${attrs}/>` : `<${name}${attrs}>${children}</${name}>`;
};

/** The rs-metadata XML document of `metadata` (CRLF line ends, one element per line). */
export function writeRecordingMetadata(metadata: RecordingMetadata): string {
  const extensions = Object.entries(metadata.extensionData ?? {});
  for (const [key] of extensions)
    if (!XML_NAME.test(key))
      throw new RecordingMetadataError(`extension data key ${JSON.stringify(key)} is not an XML name`);
  const text = (name: string, value: string) => `<${name}>${escapeXml(value)}</${name}>`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<recording xmlns="${RECORDING_NAMESPACE}">`,
    text('datamode', 'complete'),
    element(
      'session',
      { session_id: metadata.sessionId },
      metadata.sipSessionIds.map((id) => text('sipSessionID', id)).join(''),
    ),
    ...metadata.participants.map((p) =>
      element(
        'participant',
        { participant_id: p.participantId },
        element('nameID', { aor: p.aor }, p.name ? text('name', p.name) : null),
      ),
    ),
    ...metadata.streams.map((s) =>
      element('stream', { stream_id: s.streamId, session_id: metadata.sessionId }, text('label', s.label)),
    ),
    ...metadata.participants.map((p) =>
      element(
        'participantstreamassoc',
        { participant_id: p.participantId },
        [
          ...p.sendStreamIds.map((id) => text('send', id)),
          ...p.recvStreamIds.map((id) => text('recv', id)),
        ].join(''),
      ),
    ),
    ...(extensions.length === 0
      ? []
      : [
          element(
            'extensiondata',
            { [`xmlns:${EXTENSION_PREFIX}`]: EXTENSION_NAMESPACE },
            extensions.map(([key, value]) => text(`${EXTENSION_PREFIX}:${key}`, value)).join(''),
          ),
        ]),
    '</recording>',
  ];
  return lines.join('\r\n') + '\r\n';
}
