import { ProtocolError } from '@modelcontextprotocol/server';
import { isGatewayError, UpstreamError, type ErrorCode } from '../errors.js';

/** JSON-RPC error codes by gateway code prefix; the stable `data.code` says exactly what happened. */
const RPC_CODE = {
  POLICY: -32003,
  ROUTE: -32602,
  LIMIT: -32004,
  FRAME: -32600,
  UPSTREAM: -32002,
  CLIENT: -32005,
  CONFIG: -32603,
  HTTP: -32600,
  AUDIT: -32006,
  PIN: -32003,
  OUTPUT: -32007,
  SANITIZE: -32008,
  DETECT: -32008,
  LEAK: -32008,
  CONTENT: -32008,
  LOCK: -32603,
  PACKAGE: -32002,
  AUTHZ: -32003,
  FLOW: -32003,
  APPROVAL: -32003,
  RATE: -32004,
  CLUSTER: -32006,
} as const satisfies Record<string, number>;

const SPECIFIC: Partial<Record<ErrorCode, number>> = {
  FRAME_PARSE_ERROR: -32700,
  LIMIT_MESSAGE_TOO_LARGE: -32600,
  LIMIT_TOO_DEEP: -32600,
  LIMIT_BATCH_REJECTED: -32600,
  LIMIT_TIMEOUT: -32001,
  FRAME_INVALID_PARAMS: -32602,
};

export interface WireError {
  readonly code: number;
  readonly message: string;
  readonly data: { readonly code: string; readonly upstream?: { readonly code: number } };
}

/**
 * The one place where local errors become wire errors. A GatewayError keeps its message and stable
 * code; an upstream's own application error leaves in toolgate's UPSTREAM range with the server's
 * (screened) text, its JSON-RPC code only in `data.upstream.code`: a server never picks the code the
 * client sees, so it cannot pass its error off as a gateway decision. Anything else becomes -32603
 * with nothing internal in it.
 */
export const toWireError = (error: unknown): WireError => {
  if (error instanceof UpstreamError && error.upstream)
    return {
      code: RPC_CODE.UPSTREAM,
      message: error.message,
      data: { code: error.code, upstream: { code: error.upstream.code } },
    };
  if (isGatewayError(error)) {
    const prefix = error.code.split('_')[0] as keyof typeof RPC_CODE;
    const code = SPECIFIC[error.code as ErrorCode] ?? RPC_CODE[prefix] ?? -32603;
    return { code, message: error.message, data: { code: error.code } };
  }
  if ((error as Error | undefined)?.name === 'AbortError')
    return { code: -32800, message: 'request cancelled', data: { code: 'REQUEST_CANCELLED' } };
  return { code: -32603, message: 'internal gateway error', data: { code: 'INTERNAL' } };
};

/** As {@link toWireError}, as the SDK's throwable so handlers can rethrow it. */
export const toProtocolError = (error: unknown): ProtocolError => {
  const wire = toWireError(error);
  return new ProtocolError(wire.code, wire.message, wire.data);
};
