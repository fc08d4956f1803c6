import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';

export interface ToneFileOptions {
  /** Sample rate; 8000 unless told. */
  rateHz?: number;
  /** Channels (each the same sine); 1 unless told. */
  channels?: number;
  /** Peak amplitude as a share of full scale; 1 unless told. */
  volume?: number;
}

/** A 16-bit PCM WAV of a sine (mono 8 kHz unless told), made with sox, at dir/name; returns its path. */
export function makeToneFile(
  dir: string,
  name: string,
  seconds: number,
  hz: number,
  { rateHz = 8000, channels = 1, volume = 1 }: ToneFileOptions = {},
): string {
  const sox = requireBinary('sox', 'sox');
  const file = join(dir, name);
  execFileSync(sox, [
    '-n',
    '-r',
    String(rateHz),
    '-c',
    String(channels),
    '-b',
    '16',
    file,
    'synth',
    String(seconds),
    'sine',
    String(hz),
    ...(volume === 1 ? [] : ['vol', String(volume)]),
  ]);
  return file;
}
