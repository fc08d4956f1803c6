import { domainKey, routeKey, trunkKey, userKey } from './kv-layout';
import { ProvisioningModel, type ProvisioningEntry } from './provisioning-model';

let revision = 0;
function put(key: string, value: unknown): ProvisioningEntry {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { key, operation: 'PUT', revision: ++revision, json: <T>() => JSON.parse(text) as T };
}
function del(key: string): ProvisioningEntry {
  return {
    key,
    operation: 'DEL',
    revision: ++revision,
    json: <T>(): T => {
      throw new Error('a delete has no value');
    },
  };
}
const trunk = (name: string) => ({
  name,
  inboundSources: [],
  gateways: [],
  numberPatterns: [],
  callerId: {},
});
const user = (domain: string, username: string) => ({ domain, username, ha1Md5: '', ha1Sha256: '' });

function model() {
  const warnings: string[] = [];
  return { warnings, model: new ProvisioningModel({ warn: (_obj, msg) => void warnings.push(msg) }) };
}

describe('ProvisioningModel', () => {
  it('keys users by user@domain and domains by name, lower-casing domains, whatever the key spelling', () => {
    const { model: m } = model();
    m.fold(put(userKey('PBX.Example.com', 'Alice'), user('PBX.Example.com', 'Alice')));
    m.fold(put(userKey('pbx.example.com', 'bob@home'), user('pbx.example.com', 'bob@home')));
    m.fold(put(domainKey('PBX.Example.com'), { name: 'PBX.Example.com' }));
    m.publish();
    expect([...m.current.users.keys()]).toEqual(['Alice@pbx.example.com', 'bob@home@pbx.example.com']);
    expect([...m.domains]).toEqual(['pbx.example.com']);
  });

  it('a delete removes what the put of the same key added', () => {
    const { model: m } = model();
    m.fold(put(userKey('pbx.example.com', 'bob@home'), user('pbx.example.com', 'bob@home')));
    m.fold(put(trunkKey('carrier one'), trunk('carrier one')));
    m.publish();
    expect(m.fold(del(userKey('pbx.example.com', 'bob@home')))).toBe('user');
    expect(m.fold(del(trunkKey('carrier one')))).toBe('trunk');
    m.publish();
    expect(m.current.users.size + m.current.trunks.size).toBe(0);
  });

  it('never changes a published snapshot: a change after publish lands in a copy', () => {
    const { model: m } = model();
    m.fold(put(trunkKey('a'), trunk('a')));
    m.publish();
    const first = m.current;
    m.fold(put(trunkKey('b'), trunk('b')));
    m.fold(put(trunkKey('c'), trunk('c')));
    m.fold(del(trunkKey('a')));
    expect([...first.trunks.keys()]).toEqual(['a']);
    m.publish();
    expect([...m.current.trunks.keys()]).toEqual(['b', 'c']);
    expect(m.current.routes).toBe(first.routes);
  });

  it('skips bad JSON and values lacking fields, keeping what was there, and ignores unknown kinds', () => {
    const { model: m, warnings } = model();
    m.fold(put(routeKey('uk'), { name: 'uk', pattern: '+44*', trunk: 'a' }));
    expect(m.fold(put(routeKey('uk'), '{"name":'))).toBeUndefined();
    expect(m.fold(put(routeKey('uk'), { name: 'uk' }))).toBeUndefined();
    expect(m.fold(put(routeKey('uk'), 'null'))).toBeUndefined();
    expect(m.fold(put('gadget.x', { any: 1 }))).toBeUndefined();
    m.publish();
    expect(m.current.routes.get('uk')).toEqual({ name: 'uk', pattern: '+44*', trunk: 'a' });
    expect(warnings).toEqual([
      'provisioning value is not JSON; skipped',
      'provisioning value lacks fields; skipped',
      'provisioning value lacks fields; skipped',
    ]);
  });
});
