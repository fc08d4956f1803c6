// How instances of a service find each other: each instance announces its name and the address of its
// gRPC (ADVERTISE_GRPC) every few seconds, and its peers keep a table of those heard lately. Liveness is the
// heartbeat itself; the stream only keeps each instance's last announcement (and its time) for
// INSTANCE_FORGET_AFTER_MS, so that a peer that starts after an instance died still knows it is missing.
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { ensureStream } from './jetstream.js';
import {
  INSTANCES_STREAM,
  INSTANCES_SUBJECTS,
  instancePingSubject,
  instancesOfKind,
  instanceSubject,
} from './subjects.js';
import {
  InstanceTable,
  parseAnnouncement,
  type Announcement,
  type Instance,
  type InstanceResources,
} from './instance-table.js';

/** How often an instance announces itself. */
export const INSTANCE_HEARTBEAT_MS = 2000;
/** An instance not heard for this long is taken for dead (three heartbeats missed, and a margin). */
export const INSTANCE_TTL_MS = 7000;
/**
 * A dead instance is still listed, as missing, this long: it may come back under its name and take its work
 * over (a container restarted in its pod), so until then nobody can say that no instance holds a thing.
 */
export const INSTANCE_FORGET_AFTER_MS = 5 * 60_000;

export interface AdvertiseOptions {
  nc: NatsConnection;
  /** The service: `sip-edge`, `media-worker`, `recording`, `tts`. */
  kind: string;
  /** The instance's stable name (the pod name). */
  name: string;
  /** host:port at which peers reach this instance's gRPC. */
  address: string;
  /** @default INSTANCE_HEARTBEAT_MS */
  heartbeatMs?: number;
  /**
   * What the instance offers outside (GetMediaResources), read at each announcement: a sip-edge learns its
   * SIP addresses only once its engine is connected. @default none
   */
  resources?: () => InstanceResources | undefined;
}

export interface Advertisement {
  /** From now on announced as draining: peers still reach it for its work but give it no new work. */
  drain(): void;
  /** Says `gone` (peers drop the instance at once) and stops the heartbeat. */
  close(): Promise<void>;
}

/** The stream of last announcements (created by whichever instance or peer comes first). */
export async function ensureInstancesStream(nc: NatsConnection): Promise<void> {
  await ensureStream(nc, {
    name: INSTANCES_STREAM,
    subjects: [INSTANCES_SUBJECTS],
    maxMsgsPerSubject: 1,
    maxAgeMs: INSTANCE_FORGET_AFTER_MS,
    // Announcements carry no id to de-duplicate by.
    duplicateWindowMs: INSTANCE_HEARTBEAT_MS,
  });
}

/** Announces the instance now, on every heartbeat and whenever a peer pings, until closed. */
export async function advertiseInstance(o: AdvertiseOptions): Promise<Advertisement> {
  await ensureInstancesStream(o.nc);
  // A name may hold characters a subject token may not (a recording instance's dots): they become `_`.
  const subject = instanceSubject(o.kind, o.name.replace(/[^A-Za-z0-9_-]/g, '_'));
  const announce = (state: Announcement['state']) => {
    try {
      const resources = state === 'gone' ? undefined : o.resources?.();
      o.nc.publish(subject, JSON.stringify({ name: o.name, address: o.address, state, resources }));
    } catch {
      // The connection is closed: the peers' TTL drops this instance.
    }
  };
  let state: 'up' | 'draining' = 'up';
  const pings = o.nc.subscribe(instancePingSubject(o.kind), { callback: () => announce(state) });
  announce(state);
  const timer = setInterval(() => announce(state), o.heartbeatMs ?? INSTANCE_HEARTBEAT_MS);
  timer.unref();
  return {
    drain: () => {
      state = 'draining';
      announce(state);
    },
    close: async () => {
      clearInterval(timer);
      pings.unsubscribe();
      announce('gone');
      await o.nc.flush().catch(() => undefined);
    },
  };
}

/** The instances of one kind alive now, and those missing lately, as a router asks for them. */
export interface LiveInstances {
  list(): Instance[];
}

export interface WatchOptions {
  nc: NatsConnection;
  kind: string;
  /** @default INSTANCE_TTL_MS */
  ttlMs?: number;
  /** @default INSTANCE_FORGET_AFTER_MS */
  forgetAfterMs?: number;
  /** @default Date.now */
  clock?: () => number;
}

export interface InstanceWatch extends LiveInstances {
  close(): void;
}

/**
 * Follows the announcements of one kind: those stored (an instance that died before this process started
 * is known as missing), then the live ones; asks every instance to announce itself at once.
 */
export async function watchInstances(o: WatchOptions): Promise<InstanceWatch> {
  const clock = o.clock ?? Date.now;
  const table = new InstanceTable(o.ttlMs ?? INSTANCE_TTL_MS, o.forgetAfterMs ?? INSTANCE_FORGET_AFTER_MS);
  const sub: Subscription = o.nc.subscribe(instancesOfKind(o.kind), {
    callback: (error, message) => {
      if (error) return;
      const announcement = parseAnnouncement(message.string());
      if (announcement) table.apply(announcement, clock());
    },
  });
  await ensureInstancesStream(o.nc);
  const consumer = await jetstream(o.nc).consumers.get(INSTANCES_STREAM, {
    filter_subjects: instancesOfKind(o.kind),
    deliver_policy: DeliverPolicy.LastPerSubject,
  });
  let pending = (await consumer.info(true)).num_pending;
  while (pending > 0) {
    const batch = await consumer.fetch({ max_messages: Math.min(pending, 256), expires: 2000 });
    let got = 0;
    for await (const message of batch) {
      got += 1;
      const announcement = parseAnnouncement(message.string());
      if (announcement) table.apply(announcement, Math.floor(message.info.timestampNanos / 1e6));
    }
    if (got === 0) break;
    pending -= got;
  }
  o.nc.publish(instancePingSubject(o.kind));
  return { list: () => table.live(clock()), close: () => sub.unsubscribe() };
}

export type { Instance, InstanceResources };
