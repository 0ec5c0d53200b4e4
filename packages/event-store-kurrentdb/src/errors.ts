import { ErrorType, StreamNotFoundError, WrongExpectedVersionError } from '@kurrent/kurrentdb-client';

const typeOf = (error: unknown): unknown => (error as { type?: unknown } | null)?.type;

export function isStreamNotFound(error: unknown): boolean {
  return error instanceof StreamNotFoundError || typeOf(error) === ErrorType.STREAM_NOT_FOUND;
}

/** The server refused an append because a stream was not at the expected state. */
export function isConflict(error: unknown): boolean {
  const type = typeOf(error);
  return (
    error instanceof WrongExpectedVersionError ||
    type === ErrorType.WRONG_EXPECTED_VERSION ||
    type === ErrorType.APPEND_CONSISTENCY_VIOLATION
  );
}

const TRANSIENT: ReadonlySet<unknown> = new Set([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
  ErrorType.CANCELLED,
]);

/** A dropped connection, a leader change, a deadline: worth retrying from the last checkpoint. */
export function isTransient(error: unknown): boolean {
  return TRANSIENT.has(typeOf(error));
}

const GRPC_UNIMPLEMENTED = 12;

/** Makes "the server has no multi-stream append" say what to do. */
export function explainAppendError(error: unknown): unknown {
  if ((error as { code?: unknown } | null)?.code === GRPC_UNIMPLEMENTED) {
    return new Error(
      'this KurrentDB server has no multi-stream append: the ledger needs KurrentDB 25.1 or later',
      { cause: error },
    );
  }
  return error;
}
