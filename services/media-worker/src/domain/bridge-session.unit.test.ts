import { BridgeRoutes, callSessionOf } from './bridge-session.js';

describe('bridge sessions', () => {
  it('belong to the call session named before /bridge/', () => {
    expect(callSessionOf('C1/bridge/B7')).toBe('C1');
    expect(callSessionOf('C1')).toBe('C1');
  });

  it('route the call session and tag of both parties to the bridge until it is deleted', () => {
    const routes = new BridgeRoutes();
    routes.record('C1/bridge/B7', ['A', 'B']);
    expect(routes.resolve('C1', 'A')).toBe('C1/bridge/B7');
    expect(routes.resolve('C1', 'B')).toBe('C1/bridge/B7');
    expect(routes.resolve('C1', 'X')).toBe('C1');
    routes.forget('C1/bridge/B7');
    expect(routes.resolve('C1', 'A')).toBe('C1');
  });

  it('ignore answers in ordinary sessions', () => {
    const routes = new BridgeRoutes();
    routes.record('C1', ['A', 'B']);
    expect(routes.resolve('C1', 'A')).toBe('C1');
  });
});
