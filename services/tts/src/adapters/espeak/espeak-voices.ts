// The voices and variants espeak-ng has (`espeak-ng --voices`, `--voices=variant`), and the matching of a
// requested voice and language against them. The list is read once per process.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface EspeakVoice {
  /** The language column: the name `-v` takes (`en-us`). */
  name: string;
  /** The voice file (`gmw/en-US`). */
  file: string;
  priority: number;
  /** Its own language and the others it lists, lower case. */
  languages: string[];
}

export interface EspeakVoiceList {
  voices: EspeakVoice[];
  /** Variant names (`f3`, `Alicia`), as `-v voice+variant` takes them. */
  variants: string[];
}

/** Parses the table `espeak-ng --voices` prints (header line, then one voice a line). */
export function parseVoiceTable(
  text: string,
): Array<{ priority: number; language: string; name: string; file: string; others: string[] }> {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 5)
    .map(([pty, language, , name, file, ...rest]) => ({
      priority: Number(pty),
      language: language!,
      name: name!,
      file: file!,
      // "(en 2)" or "(en-gb 2)(en 3)": pairs of language and priority.
      others:
        rest
          .join(' ')
          .match(/\(([^\s)]+)/g)
          ?.map((m) => m.slice(1).toLowerCase()) ?? [],
    }));
}

export async function readEspeakVoices(binary = 'espeak-ng'): Promise<EspeakVoiceList> {
  const run = promisify(execFile);
  const [voices, variants] = await Promise.all([
    run(binary, ['--voices'], { timeout: 5000 }),
    run(binary, ['--voices=variant'], { timeout: 5000 }),
  ]);
  return {
    voices: parseVoiceTable(voices.stdout).map((v) => ({
      name: v.language.toLowerCase(),
      file: v.file,
      priority: v.priority,
      languages: [v.language.toLowerCase(), ...v.others],
    })),
    variants: parseVoiceTable(variants.stdout).map((v) => v.file.replace(/^!v\//, '')),
  };
}

/** True when `a` and `b` are the same language tag, or one is the other's prefix on a subtag boundary. */
function languagesMatch(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}-`) || b.startsWith(`${a}-`);
}

export type VoiceMatch = { ok: true; voice: string } | { ok: false; problem: string };

/**
 * The canonical voice (`en-us`, `en-us+f3`) for a request: the voice by language name or file (case does not
 * matter), with an optional `+variant`; or, with no voice, the best voice for the language.
 */
export function matchEspeakVoice(list: EspeakVoiceList, voice: string, language: string): VoiceMatch {
  const lang = language.toLowerCase();
  if (!voice) {
    const candidates = list.voices
      .filter((v) => v.languages.some((l) => languagesMatch(l, lang)))
      .sort((a, b) => Number(b.name === lang) - Number(a.name === lang) || a.priority - b.priority);
    const best = candidates[0];
    return best
      ? { ok: true, voice: best.name }
      : { ok: false, problem: `espeak has no voice for language "${language}"` };
  }
  const [base = '', variant, ...extra] = voice.split('+');
  const found = list.voices.find(
    (v) => v.name === base.toLowerCase() || v.file.toLowerCase() === base.toLowerCase(),
  );
  if (!found || extra.length > 0) return { ok: false, problem: `espeak has no voice "${voice}"` };
  let name = found.name;
  if (variant !== undefined) {
    const known = list.variants.find((v) => v.toLowerCase() === variant.toLowerCase());
    if (!known)
      return { ok: false, problem: `espeak has no voice variant "${variant}" (in voice "${voice}")` };
    name = `${name}+${known}`;
  }
  if (lang && !found.languages.some((l) => languagesMatch(l, lang))) {
    return { ok: false, problem: `espeak voice "${voice}" does not speak language "${language}"` };
  }
  return { ok: true, voice: name };
}
