// What the benchmarks whose application bridges inbound calls share (monitoring, streams): its view of the
// event log, where rtpengine receives from a leg (for the benchmark's RTP senders), and a sender process.
import type { callControl } from '@callctl/proto';
import { startProcess, waitFor, type ManagedProcess } from '@callctl/testing';
import type { PlatformUnderTest } from '../support/platform-under-test.js';

type Event = NonNullable<callControl.WatchEventsResponse['event']>;
/** Records what a benchmark waits for in one event: `note(key, value)`. */
export type EventNotes = (event: Event, note: (key: string, value: unknown) => void) => void;

/**
 * The application's view of the event log: a cursor over the platform's WatchEvents list, so that waiting
 * for one call's event does not scan every event of every call each time. It keeps the inbound calls to
 * `sip:<service>@` in arrival order, `media:<legId>` (the leg's media party, JSON) and `bridged:<callId>`,
 * and whatever `notes` records of each event.
 */
export class AppEvents {
  private cursor = 0;
  private readonly seen = new Map<string, unknown>();
  readonly inbound: { callId: string; legId: string }[] = [];

  constructor(
    private readonly p: PlatformUnderTest,
    private readonly service: string,
    private readonly notes: EventNotes,
  ) {}

  /** Reads the events that arrived since the last look. */
  private catchUp(): void {
    const note = (key: string, value: unknown) => this.seen.set(key, value);
    for (; this.cursor < this.p.events.length; this.cursor++) {
      const event = this.p.events[this.cursor]!.event;
      if (!event) continue;
      if (event.$case === 'legInitiated') {
        const { callId, legId, toUri, media } = event.legInitiated;
        if (toUri.includes(`sip:${this.service}@`)) this.inbound.push({ callId, legId });
        if (media) note(`media:${legId}`, JSON.stringify(media));
      }
      if (event.$case === 'legsBridged') note(`bridged:${event.legsBridged.callId}`, 'yes');
      this.notes(event, note);
    }
  }

  async wait<T = string>(key: string, timeoutMs = 30_000): Promise<T> {
    return waitFor(
      key,
      () => {
        this.catchUp();
        return this.seen.get(key) as T | undefined;
      },
      timeoutMs,
      20,
    );
  }

  /** What was noted under `key`, if anything yet. */
  peek<T = string>(key: string): T | undefined {
    this.catchUp();
    return this.seen.get(key) as T | undefined;
  }

  /** The next inbound call not taken yet, as soon as it is in the log. */
  async nextInbound(timeoutMs: number): Promise<{ callId: string; legId: string }> {
    return waitFor(
      'an inbound call',
      () => {
        this.catchUp();
        return this.inbound.shift();
      },
      timeoutMs,
      20,
    );
  }
}

/** Where rtpengine receives from a leg, as an SDP fragment for RtpEndpoint.useRemote. */
export async function rtpengineSide(p: PlatformUnderTest, events: AppEvents, legId: string): Promise<string> {
  const media = JSON.parse(await events.wait(`media:${legId}`)) as { sessionId: string; tag: string };
  return p.edge.rtpengineSideOf(media);
}

export const rtpenginePort = async (
  p: PlatformUnderTest,
  events: AppEvents,
  legId: string,
): Promise<number> => Number(/m=audio (\d+)/.exec(await rtpengineSide(p, events, legId))![1]);

/** A process run with tsx (a sender, a sink), ready once its output says `ready`; kept in `children`. */
export async function startTsxChild(
  children: Set<ManagedProcess>,
  args: string[],
  ready: string,
  what: string,
): Promise<ManagedProcess> {
  const child = startProcess(process.execPath, ['--import', 'tsx', ...args]);
  children.add(child);
  await waitFor(
    what,
    () => {
      if (child.child.exitCode !== null) throw new Error(`${what} exited:\n${child.output()}`);
      return child.output().includes(ready);
    },
    20_000,
  );
  return child;
}

const FLOOD = `${__dirname}/../../services/recording/bench/rtp-flood.ts`;

/** A sender process for one role: binds the role's socket, sends a tone to each target, counts what comes back. */
export const startSender = (children: Set<ManagedProcess>, from: number, targets: number[], hz: number) =>
  startTsxChild(
    children,
    [FLOOD, `from=${from}`, ...targets.map((port) => `${port}:${hz}`)],
    'sending',
    'a sender',
  );
