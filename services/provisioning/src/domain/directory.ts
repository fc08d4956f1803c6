// Domains and their users (devices) as PutDomain and PutUser give them, checked (pure). A user's password
// stays plain here: the app turns it into HA1 hashes at once and drops it.
import { type provisioning } from '@callctl/proto';
import { checkHost, invalid } from './fields.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
const MAX_CODECS = 16;

export function domainNameOf(field: string, name: string): string {
  return checkHost(field, name.trim());
}

// RFC 3261 user: unreserved / escaped / user-unreserved; no @ or :, which would end the user part.
const USER_PART = /^([A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2}){1,64}$/;

export function usernameOf(field: string, username: string): string {
  if (!username) throw invalid(field, 'required');
  if (!USER_PART.test(username))
    throw invalid(
      field,
      `not a SIP user part (letters, digits and -_.!~*'()&=+$,;?/): ${JSON.stringify(username)}`,
    );
  return username;
}

export interface UserDraft {
  domain: string;
  username: string;
  displayName: string;
  allowedCodecs: string[];
  /** Plain, or empty to keep the stored hashes. */
  password: string;
}

export function userDraftOf(user: provisioning.User | undefined): UserDraft {
  if (!user) throw invalid('user', 'required');
  const domain = domainNameOf('user.domain', user.domain);
  const username = usernameOf('user.username', user.username);
  if (user.password && (user.password.length < PASSWORD_MIN || user.password.length > PASSWORD_MAX))
    throw invalid('user.password', `expected ${PASSWORD_MIN}-${PASSWORD_MAX} characters`);
  if (user.displayName.length > 128 || /[\r\n"]/.test(user.displayName))
    throw invalid('user.display_name', 'at most 128 characters, without quotes or line breaks');
  if (user.allowedCodecs.length > MAX_CODECS) throw invalid('user.allowed_codecs', `at most ${MAX_CODECS}`);
  user.allowedCodecs.forEach((codec, i) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9.\-_]{0,31}$/.test(codec))
      throw invalid(`user.allowed_codecs[${i}]`, `not a codec name: ${JSON.stringify(codec)}`);
  });
  return {
    domain,
    username,
    displayName: user.displayName,
    allowedCodecs: [...new Set(user.allowedCodecs)],
    password: user.password,
  };
}
