// The engine's state stays bounded under a flood of requests (limits.ts): past a cap, new requests are
// refused at once with 503 and Retry-After and leave nothing behind.
import { SipResponse } from '@callctl/sip';
import { waitFor } from '@callctl/testing';
import { routed, startEngineEnv } from './support/engine-env.js';
import { ScriptedUa } from './support/scripted-ua.js';
import { loose } from './support/srf-types.js';

const responses = (ua: ScriptedUa, status: number) =>
  ua.log.filter((m): m is SipResponse => m instanceof SipResponse && m.status === status);

describe('engine limits under floods', () => {
  it('answers OPTIONS nobody routes with 503 and keeps no transaction for them', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    for (let i = 0; i < 50; i++) await ua.send(ua.request('OPTIONS', env.uri()), env.peer());
    await waitFor('every 503', () => responses(ua, 503).length === 50 || undefined);
    expect(responses(ua, 503).every((r) => r.reason === 'No application available')).toBe(true);
    expect(env.engine.core.stats.servers).toBe(0);
  });

  it('never holds more server transactions than the cap; the excess gets 503 with Retry-After', async () => {
    await using env = await startEngineEnv(undefined, {
      limits: { maxServerTransactions: 3, retryAfterS: 7 },
    });
    await using ua = await ScriptedUa.start('udp');
    // INVITEs nobody routes: each 503 keeps its transaction (for the ACK), so they fill the table.
    for (let i = 0; i < 6; i++) {
      await ua.send(ua.invite(env.uri()), env.peer());
      await waitFor('answer', () => responses(ua, 503).length === i + 1 || undefined);
      expect(env.engine.core.stats.servers).toBeLessThanOrEqual(3);
    }
    const refused = responses(ua, 503).filter((r) => r.reason === 'Too Many Transactions');
    expect(refused).toHaveLength(3);
    expect(refused.every((r) => r.get('Retry-After') === '7')).toBe(true);
    expect(responses(ua, 503).filter((r) => r.reason === 'No application available')).toHaveLength(3);
    expect(env.engine.core.shed).toBe(3);
  });

  it('refuses new requests with 503 and Retry-After while too many wait for an app', async () => {
    await using env = await startEngineEnv(undefined, { limits: { maxPendingRequests: 2 } });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    let delivered = 0;
    // An app that never answers: its requests stay pending.
    loose(srf).options(() => void delivered++);
    await routed(env, 'options');
    for (let i = 0; i < 4; i++) await ua.send(ua.request('OPTIONS', env.uri()), env.peer());
    const first = await ua.expectResponse(503, 'OPTIONS');
    const second = await ua.expectResponse(503, 'OPTIONS');
    await waitFor('two delivered', () => delivered === 2 || undefined);
    expect([first.reason, second.reason]).toEqual(['Too Many Pending Requests', 'Too Many Pending Requests']);
    expect(first.get('Retry-After')).toBe('5');
    expect(env.engine.core.stats.inbound).toBe(2);
  });

  it('refuses a new INVITE with 503 and Retry-After while too many wait for the app, and takes calls again after', async () => {
    await using env = await startEngineEnv(undefined, { limits: { maxPendingRequests: 2 } });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const held: Array<{ send(status: number): void }> = [];
    // An app slow to decide: the INVITEs stay pending until it answers.
    srf.invite((_req, res) => void held.push(res as never));
    await routed(env, 'invite');
    for (let i = 0; i < 2; i++) await ua.send(ua.invite(env.uri()), env.peer());
    await waitFor('two held', () => held.length === 2 || undefined);
    await ua.send(ua.invite(env.uri()), env.peer());
    const refused = await ua.expectResponse(503, 'INVITE');
    expect(refused.reason).toBe('Too Many Pending Requests');
    expect(refused.get('Retry-After')).toBe('5');
    for (const res of held) res.send(486);
    await waitFor('nothing pending', () => env.engine.core.stats.inbound === 0 || undefined);
    await ua.send(ua.invite(env.uri()), env.peer());
    await waitFor('taken again', () => held.length === 3 || undefined);
    held[2]!.send(486);
  });
});
