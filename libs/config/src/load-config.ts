import { z } from 'zod';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The configuration is unusable. `issues` names each bad variable; `message` is one line meant to be
 * printed as it is, so that a newcomer sees "NATS_URL: required" and not a stack trace.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly service: string,
    readonly issues: readonly { variable: string; problem: string }[],
  ) {
    super(
      `${service}: invalid configuration: ${issues.map((i) => `${i.variable}: ${i.problem}`).join('; ')}`,
    );
  }
}

/**
 * Validates the environment against a schema whose keys are the variable names, and returns the typed
 * result. Unknown variables are ignored; every problem is reported at once.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  service: string,
  shape: Shape,
  environment: Environment,
): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(environment);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    variable: issue.path.map(String).join('.') || '(environment)',
    problem: describe(issue, environment),
  }));
  throw new ConfigError(service, issues);
}

function describe(issue: z.core.$ZodIssue, environment: Environment): string {
  const variable = issue.path[0];
  const given = typeof variable === 'string' ? environment[variable] : undefined;
  if (given === undefined) return 'required';
  // Secrets may be in the environment: echo short values only, and never anything named like a secret.
  const secret = typeof variable === 'string' && /SECRET|PASSWORD|TOKEN|KEY/i.test(variable);
  const shown = secret
    ? ''
    : ` (got ${JSON.stringify(given.length > 60 ? `${given.slice(0, 57)}...` : given)})`;
  return `${issue.message}${shown}`;
}
