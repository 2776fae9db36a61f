import type { Readable, Writable } from 'node:stream';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import {
  decodeFrame,
  sniffId,
  type FrameLimits,
  type FrameResult,
  type JsonRpcId,
  type JsonRpcMessage,
} from './frame.js';
import type { Outbound } from '../core/outbound.js';
import { unlogged } from './outbound.js';

/**
 * A frame the transport refused, handed to the owner to answer (front) or to fail a request (upstream).
 * `guessedId`: the id seen in a frame that is not JSON (cut off, say). JSON-RPC answers a client's such
 * frame with a null id, but an upstream's cut-off answer can still fail the request it was for.
 */
export type Rejected = Extract<FrameResult, { ok: false }> & { readonly guessedId?: JsonRpcId };

const EDGE = 256;

/**
 * Newline-delimited JSON-RPC over a pair of streams (the MCP stdio binding), with the gateway's own
 * limits applied to every raw frame before anything parses it: size (an oversized line is skipped
 * without buffering it whole), UTF-8, depth, envelope. Used for the stdio front and stdio upstreams.
 */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Offered every accepted frame before `onmessage`; true when it answered the frame itself (the stdio front's fast path). */
  intercept?: (message: JsonRpcMessage) => boolean;

  private chunks: Buffer[] = [];
  private size = 0;
  /** While skipping an oversized line: its length so far and its first bytes (for the id). */
  private skipping: { bytes: number; head: Buffer; tail: Buffer } | undefined;
  private closed = false;
  /** Frames read after a notification in the same chunk, delivered one microtask apart (see `deliver`). */
  private pending: JsonRpcMessage[] = [];
  private afterNotification = false;
  /** Frames sent this turn, not yet written, and the senders waiting for them. */
  private outgoing: string[] = [];
  private written: Array<() => void> = [];
  private refused: Array<(error: Error) => void> = [];

  private readonly input: Readable;
  private readonly output: Writable;
  private readonly limits: FrameLimits;
  private readonly outbound: Outbound;
  private readonly onReject: (rejected: Rejected) => void;

  /** `outbound`: the gateway's way out (core/outbound.ts); each batch of frames leaves only through it. */
  constructor(
    input: Readable,
    output: Writable,
    limits: FrameLimits,
    outbound: Outbound,
    onReject: (rejected: Rejected) => void,
  ) {
    this.input = input;
    this.output = output;
    this.limits = limits;
    this.outbound = outbound;
    this.onReject = onReject;
  }

  start(): Promise<void> {
    this.input.on('data', this.ondata);
    this.input.on('end', this.onend);
    this.input.on('error', this.onstreamerror);
    this.output.on('error', this.onstreamerror);
    return Promise.resolve();
  }

  private readonly ondata = (chunk: Buffer): void => {
    this.afterNotification = false;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.push(chunk.subarray(start, nl));
      this.flush();
      start = nl + 1;
    }
    if (start < chunk.length) this.push(chunk.subarray(start));
  };

  private push(part: Buffer): void {
    if (part.length === 0) return;
    if (this.skipping) {
      this.skipping.bytes += part.length;
      this.skipping.tail = Buffer.concat([this.skipping.tail, part]).subarray(-EDGE);
      return;
    }
    this.size += part.length;
    this.chunks.push(part);
    if (this.size > this.limits.maxMessageBytes) {
      const all = Buffer.concat(this.chunks);
      this.skipping = { bytes: all.length, head: all.subarray(0, EDGE), tail: all.subarray(-EDGE) };
      this.chunks = [];
      this.size = 0;
    }
  }

  private flush(): void {
    if (this.skipping) {
      const { bytes, head, tail } = this.skipping;
      this.skipping = undefined;
      const id = sniffId(head.toString('latin1'), tail.toString('latin1'));
      this.onReject({
        ok: false,
        code: 'LIMIT_MESSAGE_TOO_LARGE',
        message: `message of ${bytes} bytes exceeds the limit of ${this.limits.maxMessageBytes}`,
        ...(id !== undefined && { id }),
      });
      return;
    }
    if (this.chunks.length === 0) return;
    let line = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    if (line[line.length - 1] === 13) line = line.subarray(0, -1); // tolerate CRLF
    if (line.length === 0) return;
    const result = decodeFrame(line, this.limits);
    if (result.ok) this.deliver(result.message);
    else if (result.code !== 'FRAME_PARSE_ERROR' || result.id !== undefined) this.onReject(result);
    else {
      // untrusted: a guess from the frame's first and last bytes, for the owner to use or ignore.
      const guessedId = sniffId(
        line.subarray(0, EDGE).toString('latin1'),
        line.subarray(-EDGE).toString('latin1'),
      );
      this.onReject(guessedId === undefined ? result : { ...result, guessedId });
    }
  }

  /**
   * The SDK handles a notification one microtask later but a response at once, and forgets a request's
   * progress handler with its response: a progress notification read in the same chunk as the result
   * would be dropped. So frames that follow a notification in one chunk are delivered one microtask
   * apart, in order, each after the handlers the previous one queued.
   */
  private deliver(message: JsonRpcMessage): void {
    if (this.afterNotification || this.pending.length > 0) {
      this.pending.push(message);
      if (this.pending.length === 1) queueMicrotask(this.drain);
      return;
    }
    if (!('id' in message)) this.afterNotification = true;
    this.dispatch(message);
  }

  private readonly drain = (): void => {
    const message = this.pending.shift();
    if (message) this.dispatch(message);
    if (this.pending.length > 0) queueMicrotask(this.drain);
  };

  private dispatch(message: JsonRpcMessage): void {
    if (!this.intercept?.(message)) this.onmessage?.(message as unknown as JSONRPCMessage);
  }

  private readonly onend = (): void => {
    void this.close();
  };

  private readonly onstreamerror = (error: Error): void => {
    this.onerror?.(error);
  };

  /**
   * Queues one frame; every frame sent during the same turn of the event loop leaves in one
   * `write(2)` (a joined string), in the order sent, after the audit log's pending lines
   * (`outbound.commit()`). Resolves once the batch is handed to the stream (after `drain` when its
   * buffer is full), as a single write would. Also takes a frame the SDK's types cannot express (an
   * error answering a frame whose id could not be read: `id: null`, as JSON-RPC 2.0 says).
   */
  send(message: JSONRPCMessage | JsonRpcMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    return new Promise((resolve, reject) => {
      this.outgoing.push(JSON.stringify(message) + '\n');
      this.written.push(resolve);
      this.refused.push(reject);
      if (this.outgoing.length === 1) setImmediate(this.flushWrites);
    });
  }

  private readonly flushWrites = (): void => {
    if (this.outgoing.length === 0) return;
    let outgoing = this.outgoing;
    const written = this.written;
    const unlogged = this.outbound.commit();
    if (unlogged) outgoing = this.withoutUnlogged(unlogged);
    const data = outgoing.length === 1 ? (outgoing[0] as string) : outgoing.join('');
    this.outgoing = [];
    this.written = [];
    this.refused = [];
    const done = () => {
      for (const resolve of written) resolve();
    };
    if (data.length === 0) done();
    else if (this.output.write(data)) done();
    else this.output.once('drain', done);
  };

  /**
   * The batch as it may leave when the audit log's pending lines could not be written: responses as
   * their requests' `AUDIT_APPEND_FAILED` errors, requests refused (their senders' promises reject;
   * resolving them afterwards does nothing), notifications dropped (their senders' promises resolve).
   */
  private withoutUnlogged(error: Error): string[] {
    const frames: string[] = [];
    this.outgoing.forEach((frame, i) => {
      // rare: kept as text until here, not as objects held for the turn
      const outcome = unlogged(JSON.parse(frame) as JSONRPCMessage, error);
      if (outcome === 'refuse') (this.refused[i] as (error: Error) => void)(error);
      else if (outcome !== 'drop') frames.push(JSON.stringify(outcome.send) + '\n');
    });
    return frames;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.flushWrites(); // frames accepted before the close still leave
    this.input.off('data', this.ondata);
    this.input.off('end', this.onend);
    this.onclose?.();
    return Promise.resolve();
  }
}
