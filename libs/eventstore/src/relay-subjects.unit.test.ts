import { callEventJsonSubject, callEventSubject } from '@callctl/bus';
import {
  CALL_CATEGORY,
  categoryOfStream,
  categoryTable,
  eventSubjects,
  type RelayCategory,
} from './relay-subjects';

const callbacks: RelayCategory = {
  category: 'callback',
  subjectPrefix: 'callbacks',
  jsonSubjectPrefix: 'callbacks-json',
  ensureStream: async () => undefined,
};

describe('relay subjects', () => {
  const table = categoryTable([CALL_CATEGORY, callbacks]);

  it('publishes a call stream on the subjects @callctl/bus spells for call events', () => {
    expect(eventSubjects(table, 'call-c_1', 'LegAnswered')).toMatchObject({
      subject: callEventSubject('c_1', 'LegAnswered'),
      jsonSubject: callEventJsonSubject('c_1', 'LegAnswered'),
    });
  });

  it('publishes a second category on its own subjects', () => {
    expect(eventSubjects(table, 'callback-42', 'CallbackRequested')).toEqual({
      category: callbacks,
      subject: 'callbacks.42.callback_requested',
      jsonSubject: 'callbacks-json.42.callback_requested',
    });
  });

  it('has no subjects for a category without a row', () => {
    expect(categoryOfStream('config-trunks')).toBe('config');
    expect(eventSubjects(table, 'config-trunks', 'TrunkAdded')).toBeUndefined();
  });

  it('has no subjects for an id that cannot be one subject token', () => {
    expect(eventSubjects(table, 'call-a.b', 'LegAnswered')).toBeUndefined();
    expect(eventSubjects(table, 'callback-x:1', 'CallbackRequested')).toBeUndefined();
  });

  it('refuses a table that lists a category twice', () => {
    expect(() => categoryTable([CALL_CATEGORY, { ...callbacks, category: 'call' }])).toThrow(/call.*twice/);
  });
});
