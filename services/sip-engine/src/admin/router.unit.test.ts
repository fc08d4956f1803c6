import { Router } from './router.js';

describe('admin router', () => {
  it('round-robins a method over the apps that routed it', () => {
    const router = new Router<string>();
    router.add('a', 'invite');
    router.add('b', 'INVITE');
    expect([router.pick('INVITE'), router.pick('invite'), router.pick('invite')]).toEqual(['a', 'b', 'a']);
  });

  it('treats a repeated route as a no-op so round-robin stays fair', () => {
    const router = new Router<string>();
    router.add('a', 'invite');
    router.add('a', 'invite');
    router.add('b', 'invite');
    expect([router.pick('invite'), router.pick('invite'), router.pick('invite')]).toEqual(['a', 'b', 'a']);
  });

  it('removes only the named verb', () => {
    const router = new Router<string>();
    router.add('a', 'invite');
    router.add('a', 'options');
    router.remove('a', 'invite');
    expect(router.pick('invite')).toBeUndefined();
    expect(router.pick('options')).toBe('a');
  });

  it('forgets every route of a disconnected app', () => {
    const router = new Router<string>();
    router.add('a', 'invite');
    router.add('b', 'invite');
    router.removeApp('a');
    expect([router.pick('invite'), router.pick('invite')]).toEqual(['b', 'b']);
    expect(router.pick('bye')).toBeUndefined();
  });
});
