/** The 16-bit samples of each channel of a PCM WAV (the canonical 44-byte header the engine writes). */
export function channelsOf(wav: Buffer): number[][] {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 36, 40) !== 'data')
    throw new Error('not a canonical WAV');
  const channels = wav.readUInt16LE(22);
  const out: number[][] = Array.from({ length: channels }, () => []);
  for (let at = 44, i = 0; at + 1 < wav.length; at += 2, i++) out[i % channels]!.push(wav.readInt16LE(at));
  return out;
}
