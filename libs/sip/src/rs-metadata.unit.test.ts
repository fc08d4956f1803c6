import fc from 'fast-check';
import {
  EXTENSION_NAMESPACE,
  RECORDING_NAMESPACE,
  RecordingMetadataError,
  escapeXml,
  writeRecordingMetadata,
  type RecordingMetadata,
} from './rs-metadata';

// No XML parser is a dependency of the project, so the test reads the document with a strict little reader
// of its own: it refuses anything not well-formed (unbalanced or crossed tags, unquoted or repeated
// attributes, a bare '&' or '<', an unknown entity, characters XML 1.0 forbids) and gives back the tree.
interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = '[A-Za-z_][A-Za-z0-9._:-]*';

function decode(text: string): string {
  if (/[<]/.test(text)) throw new Error(`'<' in text: ${text}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(text))
    throw new Error('a forbidden character');
  return text.replace(/&([^;]*);|&/g, (all, entity: string | undefined) => {
    if (entity === undefined) throw new Error('a bare &');
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (entity in named) return named[entity]!;
    const code = /^#(\d+)$/.exec(entity);
    if (code) return String.fromCodePoint(Number(code[1]));
    throw new Error(`unknown entity &${entity};`);
  });
}

function readXml(document: string): XmlElement {
  let rest = document.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\r\n/, '');
  if (rest === document) throw new Error('no XML declaration');
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  while (rest.length > 0) {
    const open = new RegExp(`^<(${NAME})((?:\\s+${NAME}="[^"]*")*)\\s*(/?)>`).exec(rest);
    const close = new RegExp(`^</(${NAME})>`).exec(rest);
    if (open) {
      const attributes: Record<string, string> = {};
      for (const a of open[2]!.matchAll(new RegExp(`(${NAME})="([^"]*)"`, 'g'))) {
        if (a[1]! in attributes) throw new Error(`attribute ${a[1]} twice`);
        attributes[a[1]!] = decode(a[2]!);
      }
      const node: XmlElement = { name: open[1]!, attributes, children: [], text: '' };
      stack[stack.length - 1]!.children.push(node);
      if (open[3] !== '/') stack.push(node);
      rest = rest.slice(open[0].length);
    } else if (close) {
      const node = stack.pop();
      if (node?.name !== close[1]) throw new Error(`</${close[1]}> closes <${node?.name}>`);
      rest = rest.slice(close[0].length);
    } else {
      const at = rest.indexOf('<');
      const raw = at < 0 ? rest : rest.slice(0, at);
      if (raw.length === 0) throw new Error(`not well-formed at ${rest.slice(0, 30)}`);
      const text = decode(raw);
      const top = stack[stack.length - 1]!;
      if (top === root) {
        if (text.trim() !== '') throw new Error('text outside the root element');
      } else top.text += text.replace(/^\r\n$/, '');
      rest = at < 0 ? '' : rest.slice(at);
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1]!.name}> not closed`);
  if (root.children.length !== 1) throw new Error('not one root element');
  return root.children[0]!;
}

const all = (e: XmlElement, name: string) => e.children.filter((c) => c.name === name);
const one = (e: XmlElement, name: string) => {
  const found = all(e, name);
  if (found.length !== 1) throw new Error(`${found.length} <${name}> in <${e.name}>`);
  return found[0]!;
};

/** The metadata the document says, read back the way an SRS reads it. */
function metadataOf(document: string): RecordingMetadata {
  const recording = readXml(document);
  expect(recording.name).toBe('recording');
  expect(recording.attributes.xmlns).toBe(RECORDING_NAMESPACE);
  expect(one(recording, 'datamode').text).toBe('complete');
  const session = one(recording, 'session');
  const sessionId = session.attributes.session_id!;
  const associations = new Map(
    all(recording, 'participantstreamassoc').map((a) => [a.attributes.participant_id!, a]),
  );
  const extension = all(recording, 'extensiondata')[0];
  if (extension) expect(extension.attributes['xmlns:callctl']).toBe(EXTENSION_NAMESPACE);
  return {
    sessionId,
    sipSessionIds: all(session, 'sipSessionID').map((s) => s.text),
    participants: all(recording, 'participant').map((p) => {
      const nameId = one(p, 'nameID');
      const name = all(nameId, 'name')[0]?.text;
      const association = associations.get(p.attributes.participant_id!)!;
      return {
        participantId: p.attributes.participant_id!,
        aor: nameId.attributes.aor!,
        ...(name ? { name } : {}),
        sendStreamIds: all(association, 'send').map((s) => s.text),
        recvStreamIds: all(association, 'recv').map((s) => s.text),
      };
    }),
    streams: all(recording, 'stream').map((s) => {
      expect(s.attributes.session_id).toBe(sessionId);
      return { streamId: s.attributes.stream_id!, label: one(s, 'label').text };
    }),
    extensionData: Object.fromEntries(
      (extension?.children ?? []).map((c) => [c.name.replace(/^callctl:/, ''), c.text]),
    ),
  };
}

const example: RecordingMetadata = {
  sessionId: 'XoM2pKdFR8C3eX33qJKcww==',
  sipSessionIds: ['a84b4c76e66710@pc33'],
  participants: [
    {
      participantId: 'omFyWlFETEyFz/KXNLe4iQ==',
      aor: 'sip:alice@example.com',
      name: 'Alice & "Bob" <Co>',
      sendStreamIds: ['s1'],
      recvStreamIds: ['s2'],
    },
    {
      participantId: 'fLbZzLMgRXGp+F5w0hOt6w==',
      aor: 'sip:bob@example.com',
      sendStreamIds: ['s2'],
      recvStreamIds: ['s1'],
    },
  ],
  streams: [
    { streamId: 's1', label: '1' },
    { streamId: 's2', label: '2' },
  ],
  extensionData: { callId: 'call-1' },
};

describe('rs-metadata writer', () => {
  it('writes the RFC 7865 document SRSs read: session, participants, streams with labels, associations', () => {
    const xml = writeRecordingMetadata(example);
    expect(xml).toContain('<recording xmlns="urn:ietf:params:xml:ns:recording:1">');
    expect(xml).toContain(
      '<session session_id="XoM2pKdFR8C3eX33qJKcww=="><sipSessionID>a84b4c76e66710@pc33</sipSessionID></session>',
    );
    expect(xml).toContain(
      '<nameID aor="sip:alice@example.com"><name>Alice &amp; &quot;Bob&quot; &lt;Co&gt;</name></nameID>',
    );
    expect(xml).toContain('<nameID aor="sip:bob@example.com"/>');
    expect(xml).toContain(
      '<stream stream_id="s1" session_id="XoM2pKdFR8C3eX33qJKcww=="><label>1</label></stream>',
    );
    expect(xml).toContain(
      '<participantstreamassoc participant_id="omFyWlFETEyFz/KXNLe4iQ=="><send>s1</send><recv>s2</recv></participantstreamassoc>',
    );
    expect(xml).toContain(
      '<extensiondata xmlns:callctl="urn:callctl:siprec:1"><callctl:callId>call-1</callctl:callId></extensiondata>',
    );
    expect(metadataOf(xml)).toEqual(example);
  });

  it('leaves <extensiondata> out when there is none', () => {
    expect(writeRecordingMetadata({ ...example, extensionData: {} })).not.toContain('extensiondata');
  });

  it('refuses an extension key that is not an XML name', () => {
    expect(() => writeRecordingMetadata({ ...example, extensionData: { 'a b': 'x' } })).toThrow(
      RecordingMetadataError,
    );
  });

  it('replaces the characters XML 1.0 cannot carry, so the document stays readable', () => {
    expect(escapeXml('a\u0000b\u001Fc\uD800d')).toBe('a\uFFFDb\uFFFDc\uFFFDd');
    const xml = writeRecordingMetadata({ ...example, sipSessionIds: ['x\u0007y'] });
    expect(metadataOf(xml).sipSessionIds).toEqual(['x\uFFFDy']);
  });

  it('round-trips any metadata of XML characters through a strict reader', () => {
    const xmlText = fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) =>
      // eslint-disable-next-line no-control-regex
      s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, ''),
    );
    const id = fc.oneof(xmlText, fc.uuid());
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._-]{0,8}$/);
    const metadata = fc.record({
      sessionId: id,
      sipSessionIds: fc.array(xmlText, { maxLength: 3 }),
      participants: fc.uniqueArray(
        fc.record({
          participantId: id,
          aor: xmlText,
          name: fc.option(
            xmlText.filter((s) => s.length > 0),
            { nil: undefined },
          ),
          sendStreamIds: fc.array(id, { maxLength: 2 }),
          recvStreamIds: fc.array(id, { maxLength: 2 }),
        }),
        { selector: (p) => p.participantId, maxLength: 4 },
      ),
      streams: fc.array(fc.record({ streamId: id, label: xmlText }), { maxLength: 4 }),
      extensionData: fc.dictionary(key, xmlText, { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(metadata, (m) => {
        const expected = {
          ...m,
          participants: m.participants.map(({ name, ...p }) => (name ? { ...p, name } : p)),
        };
        expect(metadataOf(writeRecordingMetadata(m))).toEqual(expected);
      }),
    );
  });
});
