import { describe, expect, it } from 'vitest';
import { LimitError, PolicyError, UpstreamError } from '../errors.js';
import { toWireError } from './to-json-rpc-error.js';

describe('toWireError', () => {
  it('[ERR-1] keeps the stable code of gateway errors', () => {
    expect(toWireError(new PolicyError('POLICY_TOOL_DENIED', 'no'))).toEqual({
      code: -32003,
      message: 'no',
      data: { code: 'POLICY_TOOL_DENIED' },
    });
    expect(toWireError(new LimitError('LIMIT_TIMEOUT', 'slow'))).toMatchObject({
      code: -32001,
      data: { code: 'LIMIT_TIMEOUT' },
    });
    expect(toWireError(new UpstreamError('UPSTREAM_CRASHED', 'gone'))).toMatchObject({
      code: -32002,
      data: { code: 'UPSTREAM_CRASHED' },
    });
  });

  it('[MSG-1] passes an upstream application error on in the UPSTREAM range, its own code in data only', () => {
    const error = new UpstreamError('UPSTREAM_ERROR', 'bad args', {
      upstream: { code: -32003, message: 'bad args' },
    });
    expect(toWireError(error)).toEqual({
      code: -32002,
      message: 'bad args',
      data: { code: 'UPSTREAM_ERROR', upstream: { code: -32003 } },
    });
  });

  it('[ERR-1] leaks nothing of an unexpected error', () => {
    const wire = toWireError(new TypeError('secret path /root/.ssh/id_rsa at line 3'));
    expect(wire).toEqual({
      code: -32603,
      message: 'internal gateway error',
      data: { code: 'INTERNAL' },
    });
    expect(JSON.stringify(toWireError('string thrown'))).not.toContain('string thrown');
  });
});
