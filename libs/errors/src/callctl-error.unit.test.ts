import { CallctlError, ERROR_KINDS, errorKindOf, isCallctlError } from './callctl-error';

class MissingThing extends CallctlError<{ thingId?: string }> {
  override readonly name = 'MissingThing';
  readonly kind = ERROR_KINDS.notFound;
  readonly code = 'THING_NOT_FOUND';
}

describe('CallctlError', () => {
  it('keeps name, code, kind, context and cause', () => {
    const cause = new Error('row absent');
    const error = new MissingThing('thing T1 not found', { thingId: 'T1' }, { cause });
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.code, error.kind, error.message]).toEqual([
      'MissingThing',
      'THING_NOT_FOUND',
      'not_found',
      'thing T1 not found',
    ]);
    expect(error.context).toEqual({ thingId: 'T1' });
    expect(error.cause).toBe(cause);
  });

  it('defaults the context to empty and keeps the brand out of JSON', () => {
    const error = new MissingThing('gone');
    expect(error.context).toEqual({});
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      context: {},
      name: 'MissingThing',
      kind: 'not_found',
      code: 'THING_NOT_FOUND',
    });
  });

  it('recognises a typed error from another copy of the package by its registered brand', () => {
    const foreign = Object.assign(new Error('other copy'), { kind: 'aborted', code: 'X' });
    Object.defineProperty(foreign, Symbol.for('callctl.error'), { value: true });
    expect(isCallctlError(foreign)).toBe(true);
    expect(errorKindOf(foreign)).toBe('aborted');
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['a Node system error with a code', Object.assign(new Error('no file'), { code: 'ENOENT' })],
    ['a look-alike without the brand', Object.assign(new Error('x'), { kind: 'not_found', code: 'Y' })],
    ['a string', 'not_found'],
    ['null', null],
  ])('treats %s as internal', (_label, value) => {
    expect(isCallctlError(value)).toBe(false);
    expect(errorKindOf(value)).toBe('internal');
  });

  it('rejects a branded object whose kind is not one of the kinds', () => {
    const odd = Object.assign(new Error('x'), { kind: 'teapot', code: 'Z' });
    Object.defineProperty(odd, Symbol.for('callctl.error'), { value: true });
    expect(isCallctlError(odd)).toBe(false);
  });
});
