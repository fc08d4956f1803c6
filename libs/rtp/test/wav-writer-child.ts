// A recorder stand-in for the crash test: writes the test signal to a WAV in 20 ms chunks and prints how
// many frames are written, until it is killed. Never closes the writer: the test SIGKILLs it.
import { WavWriter } from '../src/wav-writer.js';
import { signalFrames } from './wav-signal.js';

const [path, channels] = [process.argv[2]!, Number(process.argv[3])];
const FRAMES_PER_CHUNK = 160;

async function main(): Promise<void> {
  const writer = await WavWriter.open(path, { sampleRate: 8000, channels });
  for (let chunk = 0; ; chunk++) {
    await writer.append(signalFrames(chunk * FRAMES_PER_CHUNK, FRAMES_PER_CHUNK, channels));
    process.stdout.write(`written ${(chunk + 1) * FRAMES_PER_CHUNK}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
