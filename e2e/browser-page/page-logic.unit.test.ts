import { keepLoopbackCandidates } from './loopback-candidates.js';
import { readSpectrum, rms } from './spectrum.js';

describe('keepLoopbackCandidates', () => {
  it('drops the host candidates of other interfaces and keeps every other line', () => {
    const sdp = [
      'v=0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host generation 0',
      'a=candidate:2 1 udp 2122194687 127.0.0.1 50001 typ host generation 0',
      'a=candidate:3 1 udp 2122129151 fd00::2 50002 typ host generation 0',
      'a=candidate:4 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active',
      'a=end-of-candidates',
      '',
    ].join('\r\n');
    expect(keepLoopbackCandidates(sdp).split('\r\n')).toEqual([
      'v=0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=candidate:2 1 udp 2122194687 127.0.0.1 50001 typ host generation 0',
      'a=candidate:4 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active',
      'a=end-of-candidates',
      '',
    ]);
  });
});

describe('spectrum readings', () => {
  it('rms of a full-scale square wave is 1 and of nothing is 0', () => {
    expect(rms([1, -1, 1, -1])).toBe(1);
    expect(rms([])).toBe(0);
  });

  it('finds the loudest bin and the share of power near each tone, ignoring DC', () => {
    const binHz = 10;
    const db = Array.from({ length: 200 }, () => -100);
    db[0] = 0; // DC: not counted
    db[70] = -20; // 700 Hz
    db[71] = -30;
    db[150] = -40; // 1500 Hz
    const reading = readSpectrum(db, binHz, [700, 1000, 1500]);
    expect(reading.dominantHz).toBe(700);
    expect(reading.toneShare[700]).toBeGreaterThan(0.9);
    expect(reading.toneShare[1000]).toBeLessThan(0.01);
    expect(reading.toneShare[1500]).toBeGreaterThan(0.005);
    expect(reading.toneShare[1500]).toBeLessThan(0.05);
  });

  it('a frame of -Infinity dB (silence) shares nothing', () => {
    const reading = readSpectrum([-Infinity, -Infinity], 10, [10]);
    expect(reading.toneShare[10]).toBe(0);
  });
});
