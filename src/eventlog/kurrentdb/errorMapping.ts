/**
 * Client errors → the port's errors. WrongExpectedVersionError (or a failed append
 * result when the connection string sets throwOnAppendFailure=false) becomes
 * ExpectedRevisionConflictError carrying the caller's expected revision and the server's
 * actual one; StreamNotFoundError is recognised so reads of a missing stream yield nothing.
 * Classes are matched by instanceof or by their `type` tag (robust to duplicated installs).
 */
import { ErrorType, WrongExpectedVersionError } from '@kurrent/kurrentdb-client';
import { ExpectedRevisionConflictError, type ExpectedRevision } from '../eventLog.js';
import { fromCurrentState } from './revisionMapping.js';

function hasType(error: unknown, type: ErrorType): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === type;
}

export function isWrongExpectedVersion(error: unknown): error is WrongExpectedVersionError {
  return error instanceof WrongExpectedVersionError || hasType(error, ErrorType.WRONG_EXPECTED_VERSION);
}

export function isStreamNotFound(error: unknown): boolean {
  return hasType(error, ErrorType.STREAM_NOT_FOUND);
}

function conflict(stream: string, expected: ExpectedRevision, actual: bigint | 'no_stream', cause: unknown) {
  const error = new ExpectedRevisionConflictError(stream, expected, actual);
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** An error thrown by appendToStream → the error the port promises (others pass through). */
export function translateAppendError(error: unknown, stream: string, expected: ExpectedRevision): unknown {
  if (!isWrongExpectedVersion(error)) return error;
  return conflict(stream, expected, fromCurrentState(error.actualState), error);
}

/** A `success: false` append result (throwOnAppendFailure=false): nextExpectedRevision is -1n for no stream. */
export function conflictFromFailedAppend(
  stream: string,
  expected: ExpectedRevision,
  nextExpectedRevision: bigint,
): ExpectedRevisionConflictError {
  return conflict(stream, expected, fromCurrentState(nextExpectedRevision), undefined);
}
