// A parsed IIF message -> what to do with it as a REQUEST (pure). The seed's length and type rules, applied
// strictly: an application server that gets `code=fail` for a typo learns of it at once, whereas a lenient
// reading would start a callback nobody asked for.
import type { CallbackSpec } from '../app/ports.js';
import { paramOf, type IifMessage } from './iif-message.js';

export type IifRequestDecision =
  /** No id to answer to (or not a REQUEST at all): dropped, counted. */
  | { kind: 'drop'; reason: string }
  /** Malformed but it has an id: `ACK: id=<id>;code=fail`. */
  | { kind: 'fail'; id: string; reason: string }
  | { kind: 'start'; id: string; spec: CallbackSpec };

export interface IifRequestLimits {
  /** CALLBACK_MAX_DURATION_S: a longer `duration` is refused here already. */
  maxDurationS: number;
}

const REQUIRED = ['id', 'user1', 'user2', 'duration'] as const;
const OPTIONAL = ['ann_id1', 'ann_id2', 'ann_digit2'] as const;
const KNOWN: ReadonlySet<string> = new Set([...REQUIRED, ...OPTIONAL]);

/** Under 32 characters (seed); printable ASCII without spaces, as it is echoed in ACK and RESPONSE. */
const ID = /^[\x21-\x7e]{1,31}$/;
/** Under 32 characters of what a dial string holds (CONTRACT "Request checks"). */
const USER = /^[0-9A-Za-z+*#._-]{1,31}$/;
const DURATION = /^[0-9]+$/;
const ANNOUNCEMENT_ID = /^[0-9]{8}$/;
const DIGITS = /^[0-9]{1,31}$/;

export function decideIifRequest(message: IifMessage, limits: IifRequestLimits): IifRequestDecision {
  // `request:` is a REQUEST written wrongly (answered), `FOO:` is not a REQUEST at all (dropped).
  if (message.method.toUpperCase() !== 'REQUEST') return { kind: 'drop', reason: `method ${message.method}` };
  const id = paramOf(message, 'id');
  if (!id) return { kind: 'drop', reason: 'REQUEST without id' };
  const fail = (reason: string): IifRequestDecision => ({ kind: 'fail', id, reason });
  if (message.method !== 'REQUEST') return fail('method must be upper case REQUEST');

  const values = new Map<string, string>();
  for (const { name, value } of message.params) {
    if (!KNOWN.has(name)) return fail(`unknown parameter "${name}"`);
    if (value === undefined) return fail(`parameter ${name} has no value`);
    if (values.has(name)) return fail(`parameter ${name} given twice`);
    values.set(name, value);
  }
  for (const name of REQUIRED) if (!values.has(name)) return fail(`missing parameter ${name}`);

  if (!ID.test(id)) return fail('id must be 1-31 printable characters');
  const user1 = values.get('user1') ?? '';
  const user2 = values.get('user2') ?? '';
  if (!USER.test(user1)) return fail('user1 must be 1-31 of 0-9 A-Z a-z + * # . _ -');
  if (!USER.test(user2)) return fail('user2 must be 1-31 of 0-9 A-Z a-z + * # . _ -');
  const duration = values.get('duration') ?? '';
  // Digits only: "-5", "1.5", "1e3" and " 60" are all refused; the length test keeps Number() exact.
  if (!DURATION.test(duration) || duration.length > 15 || Number(duration) > limits.maxDurationS)
    return fail(`duration must be an integer 0..${limits.maxDurationS}`);
  const annId1 = values.get('ann_id1');
  const annId2 = values.get('ann_id2');
  const annDigits2 = values.get('ann_digit2');
  if (annId1 !== undefined && !ANNOUNCEMENT_ID.test(annId1)) return fail('ann_id1 must be 8 digits');
  if (annId2 !== undefined && !ANNOUNCEMENT_ID.test(annId2)) return fail('ann_id2 must be 8 digits');
  if (annDigits2 !== undefined && !DIGITS.test(annDigits2)) return fail('ann_digit2 must be 1-31 digits');

  return {
    kind: 'start',
    id,
    spec: {
      user1,
      user2,
      maxDurationS: Number(duration),
      // Absent stays absent: the core applies the default ann_id1 (00080002) and the default caller.
      ...(annId1 !== undefined ? { annId1 } : {}),
      ...(annId2 !== undefined ? { annId2 } : {}),
      ...(annDigits2 !== undefined ? { annDigits2 } : {}),
    },
  };
}
