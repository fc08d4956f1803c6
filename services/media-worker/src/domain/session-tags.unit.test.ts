import { tagRoleOf } from './session-tags.js';

// Shapes of rtpengine 10.5 query replies (trimmed): a call with a fork, an offer not answered yet, and a fork
// after its unsubscribe.
const forked = {
  tags: {
    caller: {
      subscriptions: [{ tag: 'callee', type: 'offer/answer' }],
      subscribers: [
        { tag: 'callee', type: 'offer/answer' },
        { tag: 'rec', type: 'pub/sub' },
      ],
    },
    callee: {
      subscriptions: [{ tag: 'caller', type: 'offer/answer' }],
      subscribers: [{ tag: 'caller', type: 'offer/answer' }],
    },
    rec: { subscriptions: [{ tag: 'caller', type: 'pub/sub' }], subscribers: [] },
    old: { subscriptions: [], subscribers: [] },
  },
};
const offered = {
  tags: {
    caller: {
      subscriptions: [{ tag: '', type: 'offer/answer' }],
      subscribers: [{ tag: '', type: 'offer/answer' }],
    },
  },
};

it.each([
  [forked, 'caller', 'party'],
  [forked, 'callee', 'party'],
  [forked, 'rec', 'fork'],
  [forked, 'old', 'fork'],
  [forked, 'nobody', 'absent'],
  [offered, 'caller', 'party'],
  [{}, 'caller', 'absent'],
])('%#: %s is a %s', (reply, tag, role) => {
  expect(tagRoleOf(reply, tag as string)).toBe(role);
});
