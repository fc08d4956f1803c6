import type { BindingView } from '@callctl/provisioning';
import { contactsOfBindings, decideRegister, type RegisterInput } from './registrar-bindings.js';

const NOW = 1_000_000_000_000;
const AOR = 'sip:alice@example.com';
const limits = { minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 1800, maxContacts: 2 };
const origin = {
  callId: 'reg-1',
  cseq: 2,
  transport: 'udp' as const,
  sourceAddress: '203.0.113.9',
  sourcePort: 40_000,
  userAgent: 'phone',
  instance: 'edge-a',
};

const register = (contacts: string[], more: Partial<RegisterInput> = {}) =>
  decideRegister({ aor: AOR, contactHeaders: contacts, origin, current: [], nowMs: NOW, limits, ...more });

const binding = (contactUri: string, more: Partial<BindingView> = {}): BindingView => ({
  aor: AOR,
  contactUri,
  expiresAtMs: NOW + 600_000,
  ...origin,
  callId: 'reg-0',
  cseq: 1,
  ...more,
});

describe('registrar bindings: adding', () => {
  it('binds a contact with its own expires, recording the flow it came on', () => {
    const decision = register(['<sip:alice@10.0.0.5:5062>;expires=120']);
    expect(decision).toMatchObject({
      kind: 'update',
      remove: [],
      put: [
        {
          aor: AOR,
          contactUri: 'sip:alice@10.0.0.5:5062',
          expiresAtMs: NOW + 120_000,
          sourceAddress: '203.0.113.9',
          sourcePort: 40_000,
          transport: 'udp',
          instance: 'edge-a',
          callId: 'reg-1',
          cseq: 2,
        },
      ],
    });
  });

  it('takes the Expires header, else the default, and caps at the maximum', () => {
    const put = (d: ReturnType<typeof register>) => (d.kind === 'update' ? d.put[0]?.expiresAtMs : 0);
    expect(put(register(['<sip:a@h>'], { expiresHeader: '300' }))).toBe(NOW + 300_000);
    expect(put(register(['<sip:a@h>']))).toBe(NOW + 1_800_000);
    expect(put(register(['<sip:a@h>;expires=99999']))).toBe(NOW + 3_600_000);
  });

  it('binds several contacts of one REGISTER, in one header or several', () => {
    const decision = register(['<sip:a@10.0.0.1>, <sip:a@10.0.0.2>']);
    expect(decision.kind === 'update' && decision.bindings.map((b) => b.contactUri)).toEqual([
      'sip:a@10.0.0.1',
      'sip:a@10.0.0.2',
    ]);
  });

  it('keeps the other contacts of the AOR and lists them all', () => {
    const decision = register(['<sip:a@10.0.0.2>'], { current: [binding('sip:a@10.0.0.1')] });
    expect(decision.kind === 'update' && decision.bindings.map((b) => b.contactUri)).toEqual([
      'sip:a@10.0.0.1',
      'sip:a@10.0.0.2',
    ]);
  });

  it('replaces the binding of the same +sip.instance and reg-id (RFC 5626)', () => {
    const instance = '"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>"';
    const decision = register([`<sip:a@10.0.0.9>;+sip.instance=${instance};reg-id=1`], {
      current: [
        binding('sip:a@10.0.0.1', {
          sipInstance: '<urn:uuid:00000000-0000-1000-8000-000a95a0e128>',
          regId: 1,
        }),
      ],
    });
    expect(decision).toMatchObject({ kind: 'update', remove: ['sip:a@10.0.0.1'] });
    expect(decision.kind === 'update' && decision.bindings.map((b) => b.contactUri)).toEqual([
      'sip:a@10.0.0.9',
    ]);
  });
});

describe('registrar bindings: removing', () => {
  it('removes one contact with expires=0', () => {
    const decision = register(['<sip:a@10.0.0.1>;expires=0'], {
      current: [binding('sip:a@10.0.0.1'), binding('sip:a@10.0.0.2')],
    });
    expect(decision).toMatchObject({ kind: 'update', put: [], remove: ['sip:a@10.0.0.1'] });
    expect(decision.kind === 'update' && decision.bindings.map((b) => b.contactUri)).toEqual([
      'sip:a@10.0.0.2',
    ]);
  });

  it('removes every contact with * and Expires: 0', () => {
    const decision = register(['*'], {
      expiresHeader: '0',
      current: [binding('sip:a@10.0.0.1'), binding('sip:a@10.0.0.2')],
    });
    expect(decision).toEqual({
      kind: 'update',
      put: [],
      remove: ['sip:a@10.0.0.1', 'sip:a@10.0.0.2'],
      bindings: [],
    });
  });

  it('answers a query (no Contact) with the current bindings, dropping expired ones', () => {
    const decision = register([], {
      current: [binding('sip:a@10.0.0.1'), binding('sip:a@10.0.0.2', { expiresAtMs: NOW - 1 })],
    });
    expect(decision).toMatchObject({ kind: 'update', put: [], remove: [] });
    expect(decision.kind === 'update' && decision.bindings.map((b) => b.contactUri)).toEqual([
      'sip:a@10.0.0.1',
    ]);
  });
});

describe('registrar bindings: refusals', () => {
  it('refuses an interval below the minimum with 423 and Min-Expires', () =>
    expect(register(['<sip:a@h>;expires=30'])).toEqual({
      kind: 'refuse',
      status: 423,
      reason: 'Interval Too Brief',
      headers: { 'Min-Expires': '60' },
    }));

  it('refuses * without Expires: 0, or with other contacts', () => {
    expect(register(['*'])).toMatchObject({ kind: 'refuse', status: 400 });
    expect(register(['*', '<sip:a@h>'], { expiresHeader: '0' })).toMatchObject({
      kind: 'refuse',
      status: 400,
    });
  });

  it('refuses a Contact without a URI, and a malformed Expires', () => {
    expect(register(['<>'])).toMatchObject({ kind: 'refuse', status: 400 });
    expect(register(['<sip:a@h>'], { expiresHeader: 'soon' })).toMatchObject({
      kind: 'refuse',
      status: 400,
      reason: 'Malformed Expires',
    });
  });

  it('refuses more contacts than the maximum, storing nothing', () =>
    expect(
      register(['<sip:a@10.0.0.3>'], { current: [binding('sip:a@1'), binding('sip:a@2')] }),
    ).toMatchObject({
      kind: 'refuse',
      status: 403,
    }));

  it('refuses an older CSeq on the same Call-ID (RFC 3261 10.3 step 7)', () =>
    expect(
      register(['<sip:a@10.0.0.1>'], { current: [binding('sip:a@10.0.0.1', { callId: 'reg-1', cseq: 5 })] }),
    ).toMatchObject({ kind: 'refuse', status: 500 }));
});

describe('registrar bindings: the 200', () => {
  it('lists each contact with the seconds it has left', () =>
    expect(contactsOfBindings([binding('sip:a@10.0.0.1', { expiresAtMs: NOW + 59_600 })], NOW)).toEqual([
      '<sip:a@10.0.0.1>;expires=60',
    ]));
});
