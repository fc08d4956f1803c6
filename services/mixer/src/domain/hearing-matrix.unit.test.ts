import { HearingMatrix } from './hearing-matrix';

function whisperRoom(): HearingMatrix {
  const matrix = new HearingMatrix();
  matrix.add('sup', 'sendrecv');
  matrix.add('fork-a', 'recvonly');
  matrix.add('fork-b', 'recvonly');
  matrix.add('in-a', 'sendrecv');
  matrix.add('in-b', 'sendrecv');
  return matrix;
}

describe('hearing matrix', () => {
  it('keeps a row per listener and replaces only the rows named', () => {
    const matrix = whisperRoom();
    matrix.set([
      { listenerId: 'sup', sourceIds: ['fork-a', 'fork-b'] },
      { listenerId: 'in-b', sourceIds: ['in-a', 'sup'] },
    ]);
    matrix.set([{ listenerId: 'in-b', sourceIds: ['in-a'] }]);
    expect(matrix.sourcesOf('sup')).toEqual(['fork-a', 'fork-b']);
    expect(matrix.sourcesOf('in-b')).toEqual(['in-a']);
    expect(matrix.sourcesOf('in-a')).toEqual([]);
  });

  it('never lets a listener hear itself, and drops repeated sources', () => {
    const matrix = whisperRoom();
    matrix.set([{ listenerId: 'in-a', sourceIds: ['in-a', 'in-b', 'in-b'] }]);
    expect(matrix.sourcesOf('in-a')).toEqual(['in-b']);
  });

  it('takes a removed participant out of every row', () => {
    const matrix = whisperRoom();
    matrix.set([
      { listenerId: 'in-a', sourceIds: ['in-b', 'sup'] },
      { listenerId: 'in-b', sourceIds: ['in-a', 'sup'] },
    ]);
    matrix.remove('sup');
    expect([matrix.sourcesOf('in-a'), matrix.sourcesOf('in-b')]).toEqual([['in-b'], ['in-a']]);
  });

  it.each([
    ['an unknown listener', [{ listenerId: 'nobody', sourceIds: [] }]],
    ['an unknown source', [{ listenerId: 'sup', sourceIds: ['fork-c'] }]],
    ['a recvonly listener', [{ listenerId: 'fork-a', sourceIds: ['in-b'] }]],
    [
      'a listener named twice',
      [
        { listenerId: 'sup', sourceIds: [] },
        { listenerId: 'sup', sourceIds: [] },
      ],
    ],
    ['a malformed id', [{ listenerId: 'sup', sourceIds: ['bad id'] }]],
  ])('refuses %s and changes nothing', (_label, rows) => {
    const matrix = whisperRoom();
    matrix.set([{ listenerId: 'sup', sourceIds: ['fork-a'] }]);
    expect(() => matrix.set([{ listenerId: 'in-a', sourceIds: ['in-b'] }, ...rows])).toThrow(
      expect.objectContaining({ kind: 'invalid_argument' }),
    );
    expect([matrix.sourcesOf('sup'), matrix.sourcesOf('in-a')]).toEqual([['fork-a'], []]);
  });

  it('refuses a sendonly source', () => {
    const matrix = whisperRoom();
    matrix.add('listener-only', 'sendonly');
    expect(() => matrix.set([{ listenerId: 'sup', sourceIds: ['listener-only'] }])).toThrow(/sendonly/);
  });
});
