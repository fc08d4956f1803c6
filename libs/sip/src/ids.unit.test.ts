import { newBranch, newCallId, newTag } from './ids';
import { BRANCH_MAGIC_COOKIE } from './via';

describe('generated identifiers', () => {
  it('are distinct across many refills of the random pool, and made of token characters', () => {
    const count = 3000; // 3000 x (12 + 8 + 16) bytes: the 4 KiB pool is refilled about 26 times
    const branches = new Set<string>();
    const tags = new Set<string>();
    const callIds = new Set<string>();
    for (let i = 0; i < count; i++) {
      branches.add(newBranch());
      tags.add(newTag());
      callIds.add(newCallId('127.0.0.1'));
    }
    expect([branches.size, tags.size, callIds.size]).toEqual([count, count, count]);
    for (const branch of branches)
      expect(branch).toMatch(new RegExp(`^${BRANCH_MAGIC_COOKIE}[A-Za-z0-9_-]{16}$`));
    for (const tag of tags) expect(tag).toMatch(/^[0-9a-f]{16}$/);
    for (const callId of callIds) expect(callId).toMatch(/^[A-Za-z0-9_-]{22}@127\.0\.0\.1$/);
  });
});
