import { GatewayError, type ErrorCode } from '../errors.js';

/**
 * Refusals of a start that no retry can fix: the same files, lock, config and host give the same
 * answer, so restarting only repeats the refusal (and re-runs what was refused). An upstream that
 * meets one goes straight to `failed`, naming it; anything else (a crash, a timeout, an unreachable
 * registry or secret store, a shortage of namespaces) is retried with backoff.
 */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'PACKAGE_TAMPERED',
  'PACKAGE_SIGNATURE_INVALID',
  'PACKAGE_PROVENANCE_INVALID',
  'PACKAGE_IDENTITY_MISMATCH',
  'PACKAGE_NOT_INSTALLED',
  'PACKAGE_STORE_UNSAFE',
  'ADVISORY_REFUSED',
  'ADVISORY_UNCHECKED',
  'PACKAGE_UNMANAGED_LAUNCHER',
  'LOCK_MISSING',
  'LOCK_INVALID',
  'LOCK_TAMPERED',
  'LOCK_UNPINNED',
  'LOCK_SERVER_MISSING',
  'LOCK_POISONED',
  'SANDBOX_UNAVAILABLE',
  'SANDBOX_UNSUPPORTED',
  'SANDBOX_ARGUMENT_CHANGED',
  'SANDBOX_BIND_WRITABLE',
  'SANDBOX_UNREACHABLE',
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
]);

/** Whether a failed start is final: a typed error whose code {@link PERMANENT} lists. */
export const isPermanent = (error: unknown): error is GatewayError =>
  error instanceof GatewayError && PERMANENT.has(error.code as ErrorCode);
