import type { NgClient } from './ng-client.js';

export interface EngineStatus {
  reachable: boolean;
  pingMs: number;
  activeSessions: number;
  engineAddress: string;
}

// rtpengine's `list` returns at most `limit` call ids (32 by default); this bounds the reply datagram.
const LIST_LIMIT = 10_000;

/** Pings rtpengine and counts its sessions; an unreachable engine is a status, not an error. */
export async function readEngineStatus(ng: NgClient, now: () => number): Promise<EngineStatus> {
  const started = now();
  try {
    await ng.command('ping');
    const pingMs = now() - started;
    const listed = await ng.command('list', { limit: LIST_LIMIT });
    const calls = Array.isArray(listed.calls) ? listed.calls.length : 0;
    return { reachable: true, pingMs, activeSessions: calls, engineAddress: ng.address };
  } catch {
    return { reachable: false, pingMs: 0, activeSessions: 0, engineAddress: ng.address };
  }
}
