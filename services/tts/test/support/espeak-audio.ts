// Real speech for the cloud doubles, made by espeak-ng and ffmpeg (the doubles return what the real APIs
// return: audio, not silence).
import { execFileSync } from 'node:child_process';
import { requireBinary } from '@callctl/testing';

/** Raw s16le mono samples of the text (or SSML) at the rate. */
export function espeakPcm(
  input: { text?: string; ssml?: string },
  voice: string,
  sampleRateHz: number,
): Buffer {
  const wav = execFileSync('espeak-ng', ['--stdout', '-v', voice, ...(input.ssml ? ['-m'] : [])], {
    input: input.ssml ?? input.text ?? '',
    maxBuffer: 64 * 1024 * 1024,
  });
  // ffmpeg, not sox: the service converts with sox (src/adapters/audio/sox.ts), and the double must make
  // its audio independently of the code whose output the tests check.
  const args = `-hide_banner -loglevel error -ignore_length 1 -f wav -i pipe:0 -ac 1 -ar ${sampleRateHz} -c:a pcm_s16le -f s16le pipe:1`;
  return execFileSync(requireBinary('ffmpeg', 'ffmpeg'), args.split(' '), {
    input: wav,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The same as a WAV file with a canonical header, as Google's LINEAR16 returns it. */
export function espeakWav(
  input: { text?: string; ssml?: string },
  voice: string,
  sampleRateHz: number,
): Buffer {
  const pcm = espeakPcm(input, voice, sampleRateHz);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRateHz, 24);
  header.writeUInt32LE(sampleRateHz * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}
