import { LATENCY_WINDOW, LatencyWindow } from './latency-window';

describe('LatencyWindow', () => {
  it('is 0 before anything is recorded', () => {
    expect(new LatencyWindow().quantile(0.5)).toBe(0);
  });

  it('gives nearest-rank quantiles of the recent values only', () => {
    const window = new LatencyWindow();
    for (let i = 0; i < 5000; i++) window.record(1_000_000); // pushed out of the window
    for (let i = 1; i <= LATENCY_WINDOW; i++) window.record(i);
    expect(LATENCY_WINDOW).toBe(250);
    expect(window.quantile(0.5)).toBe(125);
    expect(window.quantile(0.99)).toBe(248);
    expect(window.quantile(1)).toBe(250);
  });
});
