// The core's refusals of a start as gRPC statuses (CONTRACT "gRPC mapping"): the one table, total over the
// reasons, so a reason added to ports.ts does not compile until it has a status.
import { status } from '@grpc/grpc-js';
import { StatusRefusal } from '@callctl/service';
import type { RefusalReason } from '../../app/ports.js';

export const REFUSAL_STATUS: Readonly<Record<RefusalReason, status>> = {
  invalid: status.INVALID_ARGUMENT,
  'unknown-user': status.NOT_FOUND,
  'unknown-announcement': status.NOT_FOUND,
  duplicate: status.ALREADY_EXISTS,
  concurrency: status.RESOURCE_EXHAUSTED,
  rate: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
};

/** The error the handler rejects with: the status of the reason, the core's message (field or limit). */
export const refusalOf = (reason: RefusalReason, message: string): StatusRefusal =>
  new StatusRefusal(REFUSAL_STATUS[reason], message);
