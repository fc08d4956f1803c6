// One-line builders of events and commands for the domain tests. Ids: call C1, legs by name ('A', 'B').
// Each capability keeps its own (capabilities/<name>/<name>.builders.ts); this is their one import.
export * from './builder-base';
export * from '../capabilities/legs/legs.builders';
export * from '../capabilities/media/media.builders';
export * from '../capabilities/digits/digits.builders';
export * from '../capabilities/bridges/bridges.builders';
export * from '../capabilities/media-loss/media-loss.builders';
export * from '../capabilities/recordings/recordings.builders';
export * from '../capabilities/siprec/siprec.builders';
export * from '../capabilities/monitors/monitors.builders';
export * from '../capabilities/transfers/transfers.builders';
export * from '../capabilities/holds/holds.builders';
export * from '../capabilities/participants/participants.builders';
export * from '../capabilities/streams/streams.builders';
