import { matchEspeakVoice, parseVoiceTable, type EspeakVoiceList } from './espeak-voices';

// The shape `espeak-ng --voices` prints (1.51), a few lines of it.
const TABLE = `Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  de              --/M      German             gmw/de
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 5  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  fr-fr           --/M      French_(France)    roa/fr               (fr 5)
`;

const list: EspeakVoiceList = {
  voices: parseVoiceTable(TABLE).map((v) => ({
    name: v.language,
    file: v.file,
    priority: v.priority,
    languages: [v.language, ...v.others],
  })),
  variants: ['f3', 'Alicia'],
};

describe('espeak voices', () => {
  it('parses the table, other languages included', () => {
    expect(parseVoiceTable(TABLE)[1]).toEqual({
      priority: 2,
      language: 'en-gb',
      name: 'English_(Great_Britain)',
      file: 'gmw/en',
      others: ['en'],
    });
  });

  it('finds a voice by name or file, any case, with a variant', () => {
    expect(matchEspeakVoice(list, 'EN-US', '')).toEqual({ ok: true, voice: 'en-us' });
    expect(matchEspeakVoice(list, 'gmw/en-US', '')).toEqual({ ok: true, voice: 'en-us' });
    expect(matchEspeakVoice(list, 'en-us+alicia', '')).toEqual({ ok: true, voice: 'en-us+Alicia' });
  });

  it('picks the voice for a language: the exact one, else the best priority that speaks it', () => {
    expect(matchEspeakVoice(list, '', 'fr-FR')).toEqual({ ok: true, voice: 'fr-fr' });
    expect(matchEspeakVoice(list, '', 'en')).toEqual({ ok: true, voice: 'en-gb' });
    expect(matchEspeakVoice(list, '', 'de-AT')).toEqual({ ok: true, voice: 'de' });
  });

  it('names what it does not have', () => {
    expect(matchEspeakVoice(list, 'klingon', '')).toEqual({
      ok: false,
      problem: 'espeak has no voice "klingon"',
    });
    expect(matchEspeakVoice(list, 'en-us+zz', '')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('variant "zz"'),
    });
    expect(matchEspeakVoice(list, '', 'ja')).toEqual({
      ok: false,
      problem: 'espeak has no voice for language "ja"',
    });
    expect(matchEspeakVoice(list, 'de', 'fr')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('does not speak'),
    });
  });
});
