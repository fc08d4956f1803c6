// Who hears whom in one room: a row per listener naming its sources. Pure. A SetHearing replaces the rows
// of the listeners it names, all or nothing: every row is checked before any is applied, so a bad row
// never leaves the room half switched. Nobody hears themselves (a row naming its own listener drops it).
import { MixerValidationError } from './errors.js';
import { checkId, isListener, isSource, type Direction } from './participant-spec.js';

export interface HearingRow {
  listenerId: string;
  sourceIds: readonly string[];
}

export class HearingMatrix {
  private readonly directions = new Map<string, Direction>();
  private readonly rows = new Map<string, readonly string[]>();

  add(id: string, direction: Direction): void {
    this.directions.set(id, direction);
  }

  /** Takes the participant out: its own row and every row that named it. */
  remove(id: string): void {
    this.directions.delete(id);
    this.rows.delete(id);
    for (const [listener, sources] of this.rows)
      if (sources.includes(id))
        this.rows.set(
          listener,
          sources.filter((source) => source !== id),
        );
  }

  /** Replaces the named listeners' rows after checking all of them. */
  set(rows: readonly HearingRow[]): void {
    const next = new Map<string, readonly string[]>();
    for (const row of rows) {
      const listener = checkId('listener_id', row.listenerId);
      const direction = this.directions.get(listener);
      if (direction === undefined)
        throw new MixerValidationError(`listener ${listener} is not a participant of the room`, { listener });
      if (!isListener(direction))
        throw new MixerValidationError(`listener ${listener} is recvonly: the mixer sends it nothing`, {
          listener,
        });
      if (next.has(listener))
        throw new MixerValidationError(`listener ${listener} has two rows`, { listener });
      const sources: string[] = [];
      for (const sourceId of row.sourceIds) {
        const source = checkId('source_id', sourceId);
        const sourceDirection = this.directions.get(source);
        if (sourceDirection === undefined)
          throw new MixerValidationError(`source ${source} is not a participant of the room`, {
            listener,
            source,
          });
        if (!isSource(sourceDirection))
          throw new MixerValidationError(`source ${source} is sendonly: the mixer receives nothing from it`, {
            listener,
            source,
          });
        if (source !== listener && !sources.includes(source)) sources.push(source);
      }
      next.set(listener, sources);
    }
    for (const [listener, sources] of next) this.rows.set(listener, sources);
  }

  /** The sources `listenerId` hears (empty when it has no row). */
  sourcesOf(listenerId: string): readonly string[] {
    return this.rows.get(listenerId) ?? [];
  }
}
