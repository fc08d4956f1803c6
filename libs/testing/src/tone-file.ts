import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';

/** A mono 8 kHz 16-bit PCM WAV of a sine, made with sox, at dir/name; returns its path. */
export function makeToneFile(dir: string, name: string, seconds: number, hz: number): string {
  const sox = requireBinary('sox', 'sox');
  const file = join(dir, name);
  execFileSync(sox, [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    file,
    'synth',
    String(seconds),
    'sine',
    String(hz),
  ]);
  return file;
}
