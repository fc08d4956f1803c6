// Users to SIP URIs (CALLBACK_DIAL_PLAN): whitespace-separated rules `<prefix>=><template>`, first match wins;
// a rule without `=>` matches every user; `{user}` in the template is the user (`#` percent-encoded).
import { ConfigError } from '@callctl/config';

export interface DialRule {
  /** '' matches every user. */
  prefix: string;
  template: string;
}

export type DialPlan = readonly DialRule[];

export function parseDialPlan(text: string, variable = 'CALLBACK_DIAL_PLAN'): DialPlan {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((rule) => {
      const at = rule.indexOf('=>');
      const prefix = at < 0 ? '' : rule.slice(0, at);
      const template = at < 0 ? rule : rule.slice(at + 2);
      if (!/^sips?:/.test(template) || !template.includes('{user}'))
        throw new ConfigError('callback', [
          { variable, problem: `rule "${rule}": the template must be a sip: URI with {user}` },
        ]);
      return { prefix, template };
    });
}

/** The user as it goes into a URI's user part. */
export const uriUser = (user: string) => user.replace(/#/g, '%23');

/** The URI of a user; undefined when no rule matches (the user is unknown). */
export function dial(plan: DialPlan, user: string): string | undefined {
  const rule = plan.find((r) => user.startsWith(r.prefix));
  return rule?.template.replaceAll('{user}', uriUser(user));
}

/** The From of both calls: a sip: URI as is, a number or a name through the template. */
export function callerUri(caller: string, template: string): string {
  return /^sips?:/i.test(caller) ? caller : template.replaceAll('{caller}', uriUser(caller));
}
