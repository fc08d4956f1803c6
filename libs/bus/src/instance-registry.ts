// How instances of a service find each other: each instance announces its name and the address of its
// gRPC (ADVERTISE_GRPC) on core NATS every few seconds, and its peers keep a table of those heard lately.
// Core NATS rather than a KV bucket: liveness is the heartbeat itself, so nothing is stored that could
// outlive an instance killed with -9, and a NATS restart loses nothing that the next heartbeat does not
// bring back.
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { instancePingSubject, instancesOfKind, instanceSubject } from './subjects.js';
import { InstanceTable, parseAnnouncement, type Announcement, type Instance } from './instance-table.js';

/** How often an instance announces itself. */
export const INSTANCE_HEARTBEAT_MS = 2000;
/** An instance not heard for this long is taken for gone (three heartbeats missed, and a margin). */
export const INSTANCE_TTL_MS = 7000;

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
}

export interface Advertisement {
  /** From now on announced as draining: peers still reach it for its work but give it no new work. */
  drain(): void;
  /** Says `gone` (peers drop the instance at once) and stops the heartbeat. */
  close(): Promise<void>;
}

/** Announces the instance now, on every heartbeat and whenever a peer pings, until closed. */
export function advertiseInstance(o: AdvertiseOptions): Advertisement {
  if (o.name === 'ping') throw new Error('an instance may not be named "ping"');
  // A name may hold characters a subject token may not (a recording instance's dots): they become `_`.
  const subject = instanceSubject(o.kind, o.name.replace(/[^A-Za-z0-9_-]/g, '_'));
  const announce = (state: Announcement['state']) => {
    try {
      o.nc.publish(subject, JSON.stringify({ name: o.name, address: o.address, state }));
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

/** The instances of one kind alive now, as a router asks for them. */
export interface LiveInstances {
  list(): Instance[];
}

export interface WatchOptions {
  nc: NatsConnection;
  kind: string;
  /** @default INSTANCE_TTL_MS */
  ttlMs?: number;
  /** @default Date.now */
  clock?: () => number;
}

export interface InstanceWatch extends LiveInstances {
  close(): void;
}

/** Follows the announcements of one kind; asks every instance to announce itself at once on start. */
export function watchInstances(o: WatchOptions): InstanceWatch {
  const clock = o.clock ?? Date.now;
  const table = new InstanceTable(o.ttlMs ?? INSTANCE_TTL_MS);
  const ping = instancePingSubject(o.kind);
  const sub: Subscription = o.nc.subscribe(instancesOfKind(o.kind), {
    callback: (error, message) => {
      if (error || message.subject === ping) return;
      const announcement = parseAnnouncement(message.string());
      if (announcement) table.apply(announcement, clock());
    },
  });
  try {
    o.nc.publish(ping);
  } catch {
    // Not connected yet: the heartbeats fill the table within one period.
  }
  return { list: () => table.live(clock()), close: () => sub.unsubscribe() };
}

export type { Instance };
