import { GrpcStatusError } from '@callctl/client';

/** A client call's result as `CODE: details` for a refusal, or 'OK', to compare in one expectation. */
export const outcome = (call: Promise<unknown>): Promise<string> =>
  call.then(
    () => 'OK',
    (error: unknown) => {
      if (!(error instanceof GrpcStatusError)) throw error;
      return `${error.code}: ${error.details}`;
    },
  );
