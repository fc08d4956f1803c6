// The tts service's costs:
// - espeak-ng synthesis of a 12-word sentence (unique sentences, so nothing is cached), through the whole
//   Synthesize RPC: espeak-ng, sox to 8 kHz, the WAV written to the cache;
// - a cached Synthesize over gRPC (look-up and reply), the cost a Say pays for a prompt already made.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TtsFixture } from '../test/support/tts-fixture.js';

const UNCACHED = 100;
const CACHED = 2000;
// A caller waits for uncached speech, so it must stay well under the pause a person notices; a cached
// Synthesize is one step of a Say whose whole budget to PlaybackStarted is 30 ms (issue #12).
const TARGETS = { uncachedP99Ms: 200, cachedP99Ms: 10 };

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
];

/** A 12-word sentence no other iteration says. */
function sentence(n: number): string {
  const words = [...WORDS];
  for (let i = 0, x = n + 1; i < words.length; i++, x = Math.floor(x / 7)) {
    const j = (x + i * 5) % words.length;
    [words[i], words[j]] = [words[j]!, words[i]!];
  }
  return `Number ${n}, ${words.slice(0, 9).join(' ')} please.`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tts-bench-'));
  const tts = await TtsFixture.start({}, dir);
  const f = (n: number) => n.toFixed(2);
  const report = (name: string, xs: number[], target: number) => {
    xs.sort((a, b) => a - b);
    const p99 = quantile(xs, 0.99);
    console.log(
      `  ${name.padEnd(34)} p50 ${f(quantile(xs, 0.5))} ms  p99 ${f(p99)} ms  (target p99 <= ${target} ms, ratio ${f(target / p99)}x)`,
    );
  };
  try {
    await tts.synthesize({ input: { $case: 'text', text: 'Warm up.' } });
    const uncached: number[] = [];
    let speechMs = 0;
    for (let n = 0; n < UNCACHED; n++) {
      const t = performance.now();
      const r = await tts.synthesize({ input: { $case: 'text', text: sentence(n) } });
      uncached.push(performance.now() - t);
      if (r.cached) throw new Error('a unique sentence came from the cache');
      speechMs += r.durationMs;
    }
    const cached: number[] = [];
    for (let n = 0; n < CACHED; n++) {
      const t = performance.now();
      const r = await tts.synthesize({ input: { $case: 'text', text: sentence(n % UNCACHED) } });
      cached.push(performance.now() - t);
      if (!r.cached) throw new Error('a repeated sentence was not cached');
    }
    console.log(
      `tts: ${UNCACHED} unique 12-word sentences (mean speech ${f(speechMs / UNCACHED / 1000)} s), ${CACHED} cached requests, one at a time`,
    );
    report('espeak-ng synthesis (uncached)', uncached, TARGETS.uncachedP99Ms);
    report('cached Synthesize over gRPC', cached, TARGETS.cachedP99Ms);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(
      `  real-time factor of synthesis: ${f(speechMs / UNCACHED / mean(uncached))}x faster than speech`,
    );
  } finally {
    await tts.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
