// The mixer's frame: 20 ms of 8 kHz audio. The saturating sum of frames is libs/rtp's mixFrames (the
// stream gateway's mixed track uses it too).
export { mixFrames } from '@callctl/rtp';

export const FRAME_SAMPLES = 160;
