import { OrderedFactReporting, type PublishFact } from '@callctl/bus';
import type { facts } from '@callctl/proto';
import type { Logger } from '@callctl/logging';

/**
 * RecordingFacts handed to the bus in order per recording, numbered per recording (source_sequence):
 * RecorderStopped before RecordingPartSaved, even while a publish is retried through a NATS outage
 * (libs/bus OrderedFactReporting, shared with the stream gateway).
 */
export class RecordingFactReporting extends OrderedFactReporting<facts.RecordingFact> {
  constructor(publish: PublishFact<facts.RecordingFact>, log: Logger) {
    super({
      publish,
      log,
      keyOf: (fact) => fact.recordingId,
      describe: (fact) => ({ recordingId: fact.recordingId }),
    });
  }
}
