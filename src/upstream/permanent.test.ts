import { describe, expect, it } from 'vitest';
import { LockError, PackageError, SandboxError, SecretError, UpstreamError } from '../errors.js';
import { isPermanent } from './permanent.js';

describe('isPermanent', () => {
  it('[FAIL-3] takes a tampered package, a lock refusal and a sandbox that cannot be built as final', () => {
    expect(isPermanent(new PackageError('PACKAGE_TAMPERED', 'x'))).toBe(true);
    expect(isPermanent(new PackageError('PACKAGE_SIGNATURE_INVALID', 'x'))).toBe(true);
    expect(isPermanent(new PackageError('PACKAGE_STORE_UNSAFE', 'x'))).toBe(true);
    expect(isPermanent(new LockError('LOCK_SERVER_MISSING', 'x'))).toBe(true);
    expect(isPermanent(new SandboxError('SANDBOX_UNAVAILABLE', 'x'))).toBe(true);
  });

  it('[FAIL-3] retries what can pass: an unreachable registry or secret, a crash, anything untyped', () => {
    expect(isPermanent(new PackageError('PACKAGE_REGISTRY_ERROR', 'x'))).toBe(false);
    expect(isPermanent(new SecretError('SECRET_UNAVAILABLE', 'x'))).toBe(false);
    expect(isPermanent(new UpstreamError('UPSTREAM_CRASHED', 'x'))).toBe(false);
    expect(isPermanent(new Error('Connection closed'))).toBe(false);
    expect(isPermanent(undefined)).toBe(false);
  });
});
