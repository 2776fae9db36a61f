import type { FrameErrorCode, LimitErrorCode } from '../errors.js';

export interface FrameLimits {
  readonly maxMessageBytes: number;
  readonly maxDepth: number;
}

export type JsonRpcId = string | number;

/** A JSON-RPC 2.0 message after the shape check; the payload stays attacker-controlled. */
export type JsonRpcMessage = Record<string, unknown> & { jsonrpc: '2.0' };

export type FrameResult =
  | { ok: true; message: JsonRpcMessage }
  | { ok: false; code: FrameErrorCode | LimitErrorCode; message: string; id?: JsonRpcId };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Deepest nesting of a JSON text, found without parsing it (so a 1 MB `[[[[…` never reaches
 * `JSON.parse`). Stops counting once past `limit`. Brackets inside strings do not count.
 */
export const measureDepth = (text: string, limit: number): number => {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
};

const ID_PATTERN = /"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,16})/;

/**
 * Best-effort id of a frame that cannot be parsed (too large, too deep), so the peer waiting for it
 * gets an error instead of a timeout. Looks only at the head and tail of the text.
 */
export const sniffId = (head: string, tail = ''): JsonRpcId | undefined => {
  const m = ID_PATTERN.exec(head) ?? ID_PATTERN.exec(tail);
  if (!m?.[1]) return undefined;
  try {
    const id: unknown = JSON.parse(m[1]);
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
};

const idOf = (value: unknown): JsonRpcId | undefined => {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
};

const ENVELOPE_MEMBERS: ReadonlySet<string> = new Set([
  'jsonrpc',
  'id',
  'method',
  'params',
  'result',
  'error',
]);

/** Checks the JSON-RPC 2.0 envelope (not the MCP payload, which the SDK validates). Pure. */
const checkEnvelope = (value: unknown): FrameResult => {
  if (Array.isArray(value))
    return {
      ok: false,
      code: 'LIMIT_BATCH_REJECTED',
      message: 'JSON-RPC batches are not accepted: send one message per frame',
    };
  if (typeof value !== 'object' || value === null)
    return {
      ok: false,
      code: 'FRAME_INVALID_JSONRPC',
      message: 'a JSON-RPC message must be an object',
    };
  const m = value as Record<string, unknown>;
  const id = idOf(m);
  const bad = (message: string): FrameResult => ({
    ok: false,
    code: 'FRAME_INVALID_JSONRPC',
    message,
    ...(id !== undefined && { id }),
  });
  if (m['jsonrpc'] !== '2.0') return bad('"jsonrpc" must be "2.0"');
  // untrusted: the SDK silently drops a message with any other member ("__proto__" included), so its
  // sender would wait forever; refuse it here, where the error can still be answered.
  const extra = Object.keys(m).find((key) => !ENVELOPE_MEMBERS.has(key));
  if (extra !== undefined)
    return bad(
      `unknown member ${JSON.stringify(extra.slice(0, 64))}: a JSON-RPC message has only jsonrpc, id, method, params, result and error`,
    );
  if ('id' in m && id === undefined) return bad('"id" must be a string or a finite number');
  if ('method' in m) {
    if (typeof m['method'] !== 'string' || m['method'].length === 0 || m['method'].length > 256)
      return bad('"method" must be a non-empty string');
    if (
      'params' in m &&
      (typeof m['params'] !== 'object' || m['params'] === null || Array.isArray(m['params']))
    )
      return bad('"params" must be an object');
    return { ok: true, message: m as JsonRpcMessage };
  }
  if (id === undefined && m['id'] !== null) return bad('a response needs an "id"');
  if ('result' in m === 'error' in m)
    return bad('a response has exactly one of "result" and "error"');
  return { ok: true, message: m as JsonRpcMessage };
};

/**
 * Decodes one raw frame: size, UTF-8, depth, JSON, then the JSON-RPC envelope, in that order so the
 * cheap checks guard the expensive ones. Pure; never throws.
 */
export const decodeFrame = (bytes: Uint8Array, limits: FrameLimits): FrameResult => {
  if (bytes.byteLength > limits.maxMessageBytes) {
    const head = Buffer.from(bytes.subarray(0, 256)).toString('latin1');
    const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.byteLength - 256))).toString(
      'latin1',
    );
    const id = sniffId(head, tail);
    return {
      ok: false,
      code: 'LIMIT_MESSAGE_TOO_LARGE',
      message: `message of ${bytes.byteLength} bytes exceeds the limit of ${limits.maxMessageBytes}`,
      ...(id !== undefined && { id }),
    };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, code: 'FRAME_INVALID_UTF8', message: 'message is not valid UTF-8' };
  }
  return decodeText(text, limits);
};

/** Like {@link decodeFrame} for text already decoded (HTTP bodies). */
export const decodeText = (text: string, limits: FrameLimits): FrameResult => {
  if (measureDepth(text, limits.maxDepth) > limits.maxDepth) {
    const id = sniffId(text.slice(0, 256), text.slice(-256));
    return {
      ok: false,
      code: 'LIMIT_TOO_DEEP',
      message: `message nests deeper than ${limits.maxDepth} levels`,
      ...(id !== undefined && { id }),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'FRAME_PARSE_ERROR', message: 'message is not valid JSON' };
  }
  return checkEnvelope(value);
};

/**
 * Size and depth of an already-parsed value (messages that reach us as objects, e.g. from the SDK's
 * HTTP client). Approximates the serialised size without serialising; stops early past the limits.
 */
export const checkValue = (
  value: unknown,
  limits: FrameLimits,
): { ok: true } | { ok: false; code: LimitErrorCode; message: string } => {
  let bytes = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v === 'string') bytes += v.length + 2;
    else if (v === null || typeof v !== 'object') bytes += 8;
    else {
      if (depth > limits.maxDepth)
        return {
          ok: false,
          code: 'LIMIT_TOO_DEEP',
          message: `message nests deeper than ${limits.maxDepth} levels`,
        };
      if (Array.isArray(v)) for (const item of v) stack.push([item, depth + 1]);
      else
        for (const [k, item] of Object.entries(v)) {
          bytes += k.length + 4;
          stack.push([item, depth + 1]);
        }
      bytes += 2;
    }
    if (bytes > limits.maxMessageBytes)
      return {
        ok: false,
        code: 'LIMIT_MESSAGE_TOO_LARGE',
        message: `message exceeds the limit of ${limits.maxMessageBytes} bytes`,
      };
  }
  return { ok: true };
};
