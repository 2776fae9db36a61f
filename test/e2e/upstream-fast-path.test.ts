import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitsOf } from '../../src/config/schema.js';
import { parseConfig } from '../../src/config/load.js';
import type { Params } from '../../src/core/interceptor.js';
import { createOutbound } from '../../src/transport/outbound.js';
import { Upstream, type UpstreamEvent } from '../../src/upstream/upstream.js';
import { eventually, fixture, tempDir } from './harness.js';

type Outcome = { ok: true; result: unknown } | { ok: false; code: unknown; message: string };

/**
 * A stdio upstream's `tools/call` takes the fast path past the SDK `Client` (src/upstream/fast-request.ts)
 * unless the call asks for progress, which goes through the SDK `Client`'s own request funnel. Each call
 * below is sent both ways to a real server process, in both protocol eras; the outcomes must be the same.
 */
describe.each(['2025-11-25', 'auto'] as const)(
  'the upstream fast path answers as the SDK Client does (protocol: %s)',
  (protocol) => {
    const dir = tempDir();
    const log = join(dir, 'tricky.log');
    const events: UpstreamEvent[] = [];
    let sampled = 0;
    let tricky: Upstream;
    let bad: Upstream;

    const start = (id: string, server: Record<string, unknown>) => {
      const config = parseConfig({
        servers: { [id]: { ...server, tools: ['*'], protocol } },
        limits: { callTimeoutMs: 800 },
      });
      const serverConfig = config.servers[id] as Parameters<typeof limitsOf>[1];
      const upstream = new Upstream(
        id,
        { ...serverConfig, restart: { ...serverConfig.restart, initialDelayMs: 50 } },
        limitsOf(config, serverConfig),
        {
          serverRequest: async (_server, method) => {
            sampled++;
            expect(method).toBe('sampling/createMessage');
            return {
              role: 'assistant',
              content: { type: 'text', text: 'hi from the client' },
              model: 'test-model',
            };
          },
          outbound: createOutbound(),
          notification: () => Promise.resolve(),
          event: (_server, event) => {
            events.push(event);
            return Promise.resolve();
          },
        },
      );
      return upstream;
    };

    beforeAll(async () => {
      writeFileSync(log, '');
      chmodSync(log, 0o666); // the sandboxed server runs as nobody
      tricky = start('tricky', {
        command: process.execPath,
        args: [fixture('tricky')],
        env: { TRICKY_LOG: log },
        sandbox: { writable: [dir] },
        allow: { sampling: true },
      });
      bad = start('bad', { command: process.execPath, args: [fixture('bad-result')] });
      await Promise.all([tricky.start(), bad.start()]);
      // `auto` negotiates the newest revision both sides speak: 2026-07-28 with the SDK v2 fixture.
      expect(tricky.protocolVersion).toBe(protocol === 'auto' ? '2026-07-28' : protocol);
      // Otherwise both paths below would be the SDK's and prove nothing.
      expect(tricky.fastPath && bad.fastPath).toBe(true);
    });
    afterAll(async () => {
      await Promise.all([tricky.stop(), bad.stop()]);
    });

    /** One call, on the fast path (`progress: false`) or through the SDK `Client` (a progress handler). */
    const call = async (
      upstream: Upstream,
      params: Params,
      progress: boolean,
      signal = new AbortController().signal,
    ): Promise<Outcome> => {
      try {
        const result = await upstream.request('tools/call', params, {
          signal,
          ...(progress && { onProgress: () => undefined }),
        });
        return { ok: true, result };
      } catch (error) {
        return {
          ok: false,
          code: (error as { code?: unknown }).code,
          message: (error as Error).message,
        };
      }
    };
    const both = async (upstream: Upstream, params: Params) => ({
      fast: await call(upstream, params, false),
      sdk: await call(upstream, params, true),
    });

    it('returns the same results', async () => {
      const echo = await both(tricky, { name: 'echo', arguments: { text: 'hello' } });
      expect(echo.fast).toMatchObject({
        ok: true,
        result: { content: [{ type: 'text', text: 'hello' }] },
      });
      expect(echo.fast).toEqual(echo.sdk);
      const deep = await both(tricky, { name: 'deep', arguments: { depth: 4 } });
      expect(deep.fast).toMatchObject({
        ok: true,
        result: { structuredContent: { v: { d: { d: { d: { d: 'bottom' } } } } } },
      });
      expect(deep.fast).toEqual(deep.sdk);
    });

    it('fails alike on a server error and on a result that breaks the protocol', async () => {
      const unknown = await both(tricky, { name: 'no-such-tool', arguments: {} });
      expect(unknown.fast.ok).toBe(false);
      expect(unknown.fast).toEqual(unknown.sdk);
      const invalid = await both(bad, { name: 'bad', arguments: {} });
      expect(invalid.fast).toMatchObject({ ok: false, code: 'UPSTREAM_INVALID_RESPONSE' });
      expect(invalid.fast).toEqual(invalid.sdk);
    });

    it('fails at once on an error response that breaks the protocol (the SDK path ignores it and times out)', async () => {
      const fast = await call(bad, { name: 'bad-error', arguments: {} }, false);
      expect(fast).toMatchObject({ ok: false, code: 'UPSTREAM_INVALID_RESPONSE' });
      // The connection stays usable.
      expect((await call(bad, { name: 'bad', arguments: {} }, false)).ok).toBe(false);
      expect(bad.state).toBe('ready');
    });

    it('a server→client request made during the call is fulfilled on both paths (2026-07-28: an input_required round trip)', async () => {
      const before = sampled;
      // A 2025 server asks with a sampling/createMessage request inside the call; a 2026-07-28 one answers
      // input_required, which the SDK Client's engine fulfils (through the same hook) and retries.
      const sample = await both(tricky, {
        name: protocol === 'auto' ? 'sample-mrtr' : 'sample',
        arguments: {},
      });
      expect(sample.fast).toMatchObject({
        ok: true,
        result: {
          content: [{ type: 'text', text: expect.stringContaining('hi from the client') }],
        },
      });
      expect(sample.fast).toEqual(sample.sdk);
      expect(sampled - before).toBe(2);
    });

    it('times out alike, and tells the server the call is cancelled', async () => {
      const timedOut = await both(tricky, { name: 'hang', arguments: {} });
      expect(timedOut.fast).toMatchObject({ ok: false, code: 'LIMIT_TIMEOUT' });
      expect(timedOut.fast).toEqual(timedOut.sdk);
      await eventually(
        () =>
          readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l.includes('cancelled hang')).length === 2,
      );
    });

    it('an aborted call is cancelled upstream on both paths', async () => {
      const cancelledBefore = readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.includes('cancelled hang')).length;
      const abortSoon = () => AbortSignal.timeout(100);
      const fast = await call(tricky, { name: 'hang', arguments: {} }, false, abortSoon());
      const sdk = await call(tricky, { name: 'hang', arguments: {} }, true, abortSoon());
      expect(fast.ok).toBe(false);
      expect(fast).toEqual(sdk);
      await eventually(
        () =>
          readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l.includes('cancelled hang')).length ===
          cancelledBefore + 2,
      );
    });

    it('a server that dies during the call fails it as crashed, on both paths', async () => {
      const fast = await call(tricky, { name: 'crash', arguments: {} }, false);
      await eventually(() => tricky.state === 'ready');
      const sdk = await call(tricky, { name: 'crash', arguments: {} }, true);
      expect(fast).toMatchObject({ ok: false, code: 'UPSTREAM_CRASHED' });
      expect(fast).toEqual(sdk);
      await eventually(() => tricky.state === 'ready');
      expect((await call(tricky, { name: 'echo', arguments: { text: 'again' } }, false)).ok).toBe(
        true,
      );
    });
  },
);
