import { EventEmitter } from 'node:events';
import type { SipDialog } from '../../app/sip-stack.js';
import { holdingEarlyRequests } from './early-requests.js';

const newDialog = () => {
  const emitter = new EventEmitter();
  return { emitter, dialog: holdingEarlyRequests(emitter as unknown as SipDialog) };
};

describe('holdingEarlyRequests', () => {
  it('gives srf a listener at once, so it emits a re-INVITE rather than answering it with the old SDP', () => {
    const { emitter } = newDialog();
    for (const event of ['modify', 'info', 'refer', 'notify', 'destroy'])
      expect(emitter.listenerCount(event)).toBe(1);
  });

  it('hands what came before a listener to it when it is added, in order, and later events directly', () => {
    const { emitter, dialog } = newDialog();
    emitter.emit('modify', 'reinvite-1', 'res-1');
    emitter.emit('modify', 'reinvite-2', 'res-2');
    const seen: unknown[][] = [];
    dialog.on('modify', (request, responder) => void seen.push([request, responder]));
    expect(seen).toEqual([
      ['reinvite-1', 'res-1'],
      ['reinvite-2', 'res-2'],
    ]);
    emitter.emit('modify', 'reinvite-3', 'res-3');
    expect(seen).toHaveLength(3);
    expect(emitter.listenerCount('modify')).toBe(1);
  });

  it('keeps a BYE that came before the destroy listener', () => {
    const { emitter, dialog } = newDialog();
    emitter.emit('destroy', 'bye', 'remote');
    const reasons: unknown[] = [];
    dialog.on('destroy', (_message, reason) => void reasons.push(reason));
    expect(reasons).toEqual(['remote']);
  });

  it('leaves other events alone', () => {
    const { emitter, dialog } = newDialog();
    const seen: string[] = [];
    (dialog as unknown as EventEmitter).on('ack', () => seen.push('ack'));
    emitter.emit('ack');
    expect(seen).toEqual(['ack']);
  });
});
