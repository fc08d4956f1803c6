// The parts of drachtio-srf's runtime API the tests use, typed as srf 5.0.29 behaves (its bundled .d.ts is
// loose and partly wrong, research §10.25).
import type { EventEmitter } from 'node:events';

export interface SrfDialog extends EventEmitter {
  id: string;
  type: 'uas' | 'uac';
  sip: { callId: string; localTag: string; remoteTag: string };
  local: { uri: string; sdp: string; contact: string };
  remote: { uri: string; sdp: string };
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  modify(sdp: string): Promise<string>;
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfMessage>;
}

export interface SrfMessage {
  status: number;
  reason: string;
  method: string;
  body: string;
  get(name: string): string;
  has(name: string): boolean;
}

export function asDialog(dialog: unknown): SrfDialog {
  return dialog as SrfDialog;
}

export interface SrfResponse {
  send(status: number, opts?: { headers?: Record<string, string>; body?: string }): void;
}

/** srf methods its bundled types leave out or get wrong. */
export interface LooseSrf {
  options(handler: (req: SrfMessage, res: SrfResponse) => void): void;
  register(handler: (req: SrfMessage, res: SrfResponse) => void): void;
  /** Resolves with the request as sent; responses arrive as its `response` events. */
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string>; body?: string; proxy?: string },
  ): Promise<unknown>;
}

export function loose(srf: unknown): LooseSrf {
  return srf as LooseSrf;
}
