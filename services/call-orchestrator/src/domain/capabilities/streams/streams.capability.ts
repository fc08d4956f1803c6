// Media streams to customer WebSockets (the stream gateway runs them). The gateway's facts are decided on
// an ended call too (onStarted, not untilEnded): a stream's close is reported after the BYE. Nothing ends
// with a leg or the call here: the gateway closes such a stream (roster.ts streamsEndedBy) and its fact
// records StreamStopped with the counters.
import { onActive, onStarted, type Capability } from '../capability';
import * as st from './streams.decide';
import { streamsEvolve } from './streams.state';

type StreamsCommand =
  | 'StartStream'
  | 'StopStream'
  | 'PauseStream'
  | 'ResumeStream'
  | 'RecordStreamConnected'
  | 'RecordStreamConnectionLost'
  | 'RecordStreamClosed'
  | 'RecordStreamOpenFailed';

export const streamsCapability: Capability<StreamsCommand, keyof typeof streamsEvolve> = {
  name: 'streams',
  decide: {
    StartStream: onActive(st.startStream),
    // Stopping a stream that ended (or whose call ended) is OK.
    StopStream: onStarted(st.stopStream),
    PauseStream: onActive(st.pauseStream),
    ResumeStream: onActive(st.resumeStream),
    RecordStreamConnected: onStarted(st.recordStreamConnected),
    RecordStreamConnectionLost: onStarted(st.recordStreamConnectionLost),
    RecordStreamClosed: onStarted(st.recordStreamClosed),
    RecordStreamOpenFailed: onStarted(st.recordStreamOpenFailed),
  },
  evolve: streamsEvolve,
  initial: { streams: {} },
  settled: {
    RecordStreamConnectionLost: st.streamFactSettled,
    RecordStreamClosed: st.streamFactSettled,
    RecordStreamOpenFailed: st.streamFactSettled,
  },
};
