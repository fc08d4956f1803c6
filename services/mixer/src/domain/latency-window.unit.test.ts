import { LatencyWindow } from './latency-window';

describe('LatencyWindow', () => {
  it('is 0 before anything is recorded', () => {
    expect(new LatencyWindow().quantile(0.5)).toBe(0);
  });

  it('gives nearest-rank quantiles of the recent values only', () => {
    const window = new LatencyWindow();
    for (let i = 0; i < 5000; i++) window.record(1_000_000); // pushed out of the 1024-value window
    for (let i = 1; i <= 1024; i++) window.record(i);
    expect(window.quantile(0.5)).toBe(512);
    expect(window.quantile(0.99)).toBe(1014);
    expect(window.quantile(1)).toBe(1024);
  });
});
