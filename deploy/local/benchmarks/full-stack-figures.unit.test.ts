import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchFigures, fullStackFigures, type Figure } from './figures';

// Real output of two short runs (FULL_STACK_RATES=20,50 FULL_STACK_STEP_S=5 FULL_STACK_ENGINE_RATES=0
// FULL_STACK_OUTBOUND_CALLS=20): the benchmark in services/sip-edge/bench at 447104c, in e2e/bench after.
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const value = (figures: Figure[], name: string) => figures.find((f) => f.name === name)?.value;

describe('full-stack figures', () => {
  describe.each([
    ['services/sip-edge/bench (447104c)', 'full-stack-447104c.txt'],
    ['e2e/bench', 'full-stack-246c7ee.txt'],
  ])('of the benchmark in %s', (_layout, file) => {
    const figures = fullStackFigures(fixture(file));

    it('reads every column of each step', () => {
      for (const rate of [20, 50]) {
        for (const column of ['calls', 'failed', 'rpc-err', 'not-ended', 'retrans', 'sustained', 'kept-up']) {
          expect(value(figures, `${rate} cps ${column}`)).toEqual(expect.any(Number));
        }
        expect(value(figures, `${rate} cps PDD p99`)).toBeGreaterThan(0);
      }
    });

    it("reads each process's CPU per call and the platform's", () => {
      for (const name of ['engine', 'edge', 'orch', 'media', 'rtpe', 'nats', 'pg', 'platform', 'app']) {
        expect(figures.find((f) => f.name === `20 cps cpu ${name}`)).toMatchObject({ unit: 'ms/call' });
      }
    });

    it('reads the parts of the post-dial delay and the summary', () => {
      expect(figures.filter((f) => /^50 cps PDD (.* )?p99$/.test(f.name)).map((f) => f.name)).toEqual([
        '50 cps PDD p99',
        '50 cps PDD invite->append p99',
        '50 cps PDD append->app p99',
        '50 cps PDD app->200 p99',
        '50 cps PDD AnswerLeg p99',
      ]);
      expect(
        figures.find((f) => f.name === 'summary full-stack sustained (0 failed, kept up)'),
      ).toMatchObject({
        unit: 'cps',
      });
      expect(value(figures, 'summary PDD CreateCall -> INVITE out at 20 cps p99')).toBeGreaterThan(0);
    });

    it('reads the idle CPU of the processes apart from the box', () => {
      expect(figures.filter((f) => f.name.startsWith('idle cpu')).map((f) => f.name)).toEqual(
        ['engine', 'edge', 'orch', 'media', 'rtpe', 'nats', 'pg'].map((p) => `idle cpu ${p}`),
      );
      expect(value(figures, 'idle box')).toEqual(expect.any(Number));
    });
  });

  it('reads the values of the 447104c run as printed', () => {
    const figures = fullStackFigures(fixture('full-stack-447104c.txt'));
    expect(value(figures, '20 cps PDD p99')).toBe(41.2);
    expect(value(figures, '50 cps kept-up')).toBe(0.97);
    expect(value(figures, '50 cps passed (1 ok, 0 SLOW or FAIL)')).toBe(0);
    expect(value(figures, '20 cps cpu orch')).toBe(10.4);
    expect(value(figures, '20 cps PDD invite->append p50')).toBe(2.4);
    expect(value(figures, 'summary full-stack sustained (0 failed, kept up)')).toBe(20);
    expect(value(figures, 'summary PDD INVITE in -> 200 out at 20 cps p50')).toBe(10.1);
  });

  it('reads a failed step with no delays, the engine-only rate and the ratio', () => {
    const figures = benchFigures(
      'e2e/bench/full-stack.bench.ts',
      [
        '    200 cps   2000     37       2         5     112       171     0.80         -         -  FAIL  cpu ms/call: engine 0.8 = platform 12.0 (~166 cps with all 2 cores), app 1.2; pg: 8.0 events and 2.1 transactions per call',
        '      busiest (of one core, over 10.1 s): orch 95%; box 100%; engine udp drops 12',
        '',
        'summary',
        '  engine only (engine + srf UAS)            >= 1300 cps',
        '  ratio full-stack / engine-only            <= 0.12',
      ].join('\n'),
    );
    expect(value(figures, '200 cps failed')).toBe(37);
    expect(figures.some((f) => f.name === '200 cps PDD p50')).toBe(false);
    expect(value(figures, '200 cps engine udp drops')).toBe(12);
    expect(value(figures, 'summary engine only (engine + srf UAS)')).toBe(1300);
    expect(value(figures, 'summary ratio full-stack / engine-only')).toBe(0.12);
  });

  it('keeps the file ladder under its old names and prefixes the Say ladder', () => {
    const step = (rate: number, platform: string) =>
      `  ${String(rate).padStart(5)} cps    500      0       0         0       0        50     1.00    5.0 ms    9.0 ms  ok    cpu ms/call: engine 0.8 = platform ${platform} (~166 cps with all 2 cores), app 1.2; pg: 8.0 events and 2.1 transactions per call`;
    const figures = benchFigures(
      'e2e/bench/full-stack.bench.ts',
      [
        'inbound (file): sipp uac -> engine -> sip-edge -> orchestrator -> app AnswerLeg, PlayMedia 1 s, Hangup on PlaybackFinished',
        step(50, '12.0'),
        'inbound (say): sipp uac -> engine -> sip-edge -> orchestrator -> app AnswerLeg, Say a unique sentence, Hangup on PlaybackFinished',
        step(50, '19.5'),
        '',
        'summary',
        '  full-stack sustained (0 failed, kept up)  50 cps (target >= 150)',
        '  PDD INVITE in -> 200 out at 50 cps       p50 5.0 ms, p99 9.0 ms (target p99 <= 20 ms)',
        '  say: full-stack sustained (0 failed, kept up)  40 cps (target >= 150)',
        '  say: PDD INVITE in -> 200 out at 50 cps       p50 6.0 ms, p99 11.0 ms (target p99 <= 20 ms)',
        '  cached Say -> PlaybackStarted at 20 cps   p50 7.5 ms, p99 21.0 ms (200 calls) (target p99 <= 30 ms)',
      ].join('\n'),
    );
    expect(value(figures, '50 cps cpu platform')).toBe(12);
    expect(value(figures, 'say: 50 cps cpu platform')).toBe(19.5);
    expect(value(figures, 'summary full-stack sustained (0 failed, kept up)')).toBe(50);
    expect(value(figures, 'summary say: full-stack sustained (0 failed, kept up)')).toBe(40);
    expect(value(figures, 'summary say: PDD INVITE in -> 200 out at 50 cps p99')).toBe(11);
    expect(value(figures, 'summary PDD INVITE in -> 200 out at 50 cps p99')).toBe(9);
    expect(value(figures, 'summary cached Say -> PlaybackStarted at 20 cps p99')).toBe(21);
  });
});
