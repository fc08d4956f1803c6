/** The command line is wrong (unknown command or option, missing or malformed argument): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
  /** The command whose usage to show with the error, if known. */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}
