// Conversion of any WAV to the stored samples with sox: s16le mono at the requested rate.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** The arguments that read a WAV from stdin (sizes ignored: streamed WAVs carry placeholders) and write raw s16le mono. */
export function soxToPcmArgs(sampleRateHz: number): string[] {
  return [
    '-q',
    '--ignore-length',
    '-t',
    'wav',
    '-',
    '-t',
    'raw',
    '-r',
    String(sampleRateHz),
    '-c',
    '1',
    '-b',
    '16',
    '-e',
    'signed-integer',
    '-',
  ];
}

/** Resolves when the process exits 0; else rejects naming it, with the last line of its stderr. */
export function exitOf(child: ChildProcess, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const err: Buffer[] = [];
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const why = Buffer.concat(err).toString().trim().split('\n').at(-1) ?? '';
      reject(new Error(`${name} exited ${code ?? signal}${why ? `: ${why}` : ''}`));
    });
  });
}

/** Everything a process writes on stdout, once it exits 0. */
export async function collectStdout(child: ChildProcess, name: string): Promise<Buffer> {
  const out: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  await exitOf(child, name);
  return Buffer.concat(out);
}

/** Converts a WAV (bytes or a stream) to s16le mono samples at the rate. */
export async function wavToPcm(
  wav: Uint8Array | Readable,
  sampleRateHz: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const sox = spawn('sox', soxToPcmArgs(sampleRateHz), { signal, stdio: ['pipe', 'pipe', 'pipe'] });
  const done = collectStdout(sox, 'sox');
  sox.stdin.on('error', () => undefined); // sox failing early closes its stdin: its exit says why
  if (wav instanceof Uint8Array) sox.stdin.end(wav);
  else wav.pipe(sox.stdin);
  return done;
}
