// A recording service stand-in for the crash test: one part recorder on the real engine records a 700 Hz
// tone it sends itself, and prints how much audio it has recorded every 100 ms, until it is killed.
import { createRecorderEngine } from '../../src/app/recorder-engine.js';
import { g711Payloads, sendPayloads } from './tone-party.js';

const path = process.argv[2]!;

async function main(): Promise<void> {
  const engine = createRecorderEngine();
  const recorder = await engine.open(1);
  const port = recorder.ports[0]!;
  await recorder.start(
    [
      {
        fromTag: 'a',
        sinkPort: port,
        payloadType: 0,
        codec: 'PCMU',
        clockRate: 8000,
        sampleRate: 8000,
        telephoneEventPayloadType: 0,
        transcoded: false,
      },
    ],
    {
      channels: 'mono',
      pauseMode: 'silence',
      maxDurationMs: 0,
      silenceTimeoutMs: 0,
      startDelayMs: 0,
      filePath: path,
      paused: false,
    },
    { onAutoStop: () => undefined, onIdle: () => undefined },
  );
  setInterval(() => process.stdout.write(`recorded ${recorder.recordedMs}\n`), 100);
  await sendPayloads({ port, payloadType: 0, payloads: g711Payloads('PCMU', 700, 30) });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
