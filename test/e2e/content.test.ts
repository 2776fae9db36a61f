import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorOf,
  eventually,
  fixture,
  startStdioGateway,
  tempDir,
  type Running,
} from './harness.js';

const TOKEN = 'tg-e2e-7f3a9c1d5b2e8f40';
const textOf = (result: unknown) => JSON.stringify((result as { content: unknown }).content);

describe('content defenses through the gateway, against a hostile server', () => {
  let gw: Running;
  let log: string;
  const sampled: unknown[] = [];
  const events = () =>
    gw.stderr
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      })
      .filter((e) => e['kind'] === 'content');
  beforeAll(async () => {
    const dir = tempDir();
    log = join(dir, 'poisoned.log');
    gw = await startStdioGateway(
      {
        servers: {
          bad: {
            command: process.execPath,
            args: [fixture('poisoned')],
            env: { POISONED_LOG: log, POISONED_TOKEN: TOKEN },
            sandbox: { writable: [dir] },
            tools: ['*'],
            allow: { sampling: true },
            protocol: '2025-11-25',
          },
        },
        content: { secrets: { env: ['TG_E2E_TOKEN'] } },
      },
      {
        env: { TG_E2E_TOKEN: TOKEN },
        client: { capabilities: { sampling: {} } },
        setup: (client) =>
          client.setRequestHandler('sampling/createMessage', async (request) => {
            sampled.push(request.params);
            return { model: 'test', role: 'assistant', content: { type: 'text', text: 'ok' } };
          }),
      },
    );
  });
  afterAll(() => gw.close());
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');

  it('[DET-10] hides a poisoned tool definition from the list, with a warning event, and refuses calls to it', async () => {
    const { tools } = await gw.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('bad__echo');
    expect(names).not.toContain('bad__forecast');
    await eventually(() =>
      events().some((e) => e['action'] === 'hide' && e['item'] === 'tool:forecast'),
    );
    const error = await errorOf(
      gw.client.callTool({ name: 'bad__forecast', arguments: { city: 'Oslo' } }),
    );
    expect(error.data?.code).toBe('DETECT_POISONED_DEFINITION');
    expect(calls()).not.toContain('tools/call forecast');
  });

  it('[DET-11] blocks a tool result carrying an injection, with rule ids in the error', async () => {
    const error = await errorOf(
      gw.client.callTool({ name: 'bad__fetch_page', arguments: { url: 'https://shop.example' } }),
    );
    expect(error.data?.code).toBe('DETECT_INJECTION');
    expect(error.message).toContain('override-instructions');
  });

  it('[SAN-1] strips ANSI, zero-width, bidi and tag characters from results and reports them', async () => {
    const result = await gw.client.callTool({ name: 'bad__banner', arguments: {} });
    const text = (result.content as { text: string }[])[0]?.text ?? '';
    expect(text).toBe('ready enilno ok');
    await eventually(() =>
      events().some((e) => e['defense'] === 'sanitize' && e['action'] === 'strip'),
    );
  });

  it('[SEC-1] redacts a configured secret and a credential-shaped token a server echoes', async () => {
    const result = await gw.client.callTool({ name: 'bad__whoami', arguments: {} });
    expect(textOf(result)).not.toContain(TOKEN);
    expect(textOf(result)).not.toContain('ghp_');
    expect(textOf(result)).toContain('[REDACTED:configured-secret]');
    expect(textOf(result)).toContain('[REDACTED:github-token]');
    expect(gw.stderr.join('\n')).not.toContain(TOKEN);
  });

  it('[SEC-2] blocks exfiltration of a secret through arguments, also base64-encoded, and never forwards it', async () => {
    const plain = await errorOf(
      gw.client.callTool({ name: 'bad__echo', arguments: { text: `note ${TOKEN}` } }),
    );
    expect(plain.data?.code).toBe('LEAK_SECRET_IN_ARGUMENTS');
    const encoded = await errorOf(
      gw.client.callTool({
        name: 'bad__echo',
        arguments: { text: Buffer.from(TOKEN).toString('base64') },
      }),
    );
    expect(encoded.data?.code).toBe('LEAK_SECRET_IN_ARGUMENTS');
    expect(calls()).not.toContain(TOKEN);
    const ok = await gw.client.callTool({ name: 'bad__echo', arguments: { text: 'hello' } });
    expect(textOf(ok)).toContain('hello');
  });

  it('[OUT-1] refuses structuredContent that does not match the outputSchema, forwarding nothing', async () => {
    const error = await errorOf(gw.client.callTool({ name: 'bad__stats', arguments: {} }));
    expect(error.data?.code).toBe('OUTPUT_SCHEMA_MISMATCH');
  });

  it('[OUT-2] refuses a resource link with a file: URI', async () => {
    const error = await errorOf(gw.client.callTool({ name: 'bad__link', arguments: {} }));
    expect(error.data?.code).toBe('OUTPUT_URI_DENIED');
  });

  it('[DET-12] blocks a sampling request asking for a wallet recovery phrase before it reaches the client', async () => {
    const result = await gw.client.callTool({ name: 'bad__wallet', arguments: {} });
    expect(textOf(result)).toContain('sampling refused');
    expect(sampled).toHaveLength(0);
  });
});

describe('content defenses when the agent calls before listing', () => {
  it('[DET-10] still refuses a call to a poisoned tool it never listed', async () => {
    const dir = tempDir();
    const gw = await startStdioGateway({
      servers: {
        bad: {
          command: process.execPath,
          args: [fixture('poisoned')],
          sandbox: { writable: [dir] },
          tools: ['*'],
        },
      },
    });
    try {
      const error = await errorOf(
        gw.client.callTool({ name: 'bad__forecast', arguments: { city: 'Oslo' } }),
      );
      expect(error.data?.code).toBe('DETECT_POISONED_DEFINITION');
      expect(
        await gw.client.callTool({ name: 'bad__echo', arguments: { text: 'fine' } }),
      ).toMatchObject({ content: [{ text: 'fine' }] });
    } finally {
      await gw.close();
    }
  });
});

describe('content defenses on a server whose initialize instructions are poisoned', () => {
  const config = (ceiling: 'warn' | 'block', dir: string) => ({
    servers: {
      bad: {
        command: process.execPath,
        args: [fixture('poisoned')],
        env: { POISONED_INSTRUCTIONS: '1' },
        sandbox: { writable: [dir] },
        tools: ['*'],
        restart: { maxRetries: 1, initialDelayMs: 50 },
      },
      good: { command: process.execPath, args: [fixture('recording')], tools: ['echo'] },
    },
    content: { detect: { instructions: ceiling } },
  });

  it('[DET-14] refuses to serve the server at all, and keeps serving the others', async () => {
    const dir = tempDir();
    const gw = await startStdioGateway(config('block', dir));
    try {
      const { tools } = await gw.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['good__echo']);
      const error = await errorOf(
        gw.client.callTool({ name: 'bad__echo', arguments: { text: 'hi' } }),
      );
      expect(error.message).toContain('DETECT_POISONED_INSTRUCTIONS');
      expect(
        await gw.client.callTool({ name: 'good__echo', arguments: { text: 'fine' } }),
      ).toMatchObject({ content: [{ text: 'echo: fine' }] });
      await eventually(() =>
        gw.stderr.some(
          (l) => l.includes('"method":"initialize"') && l.includes('"action":"block"'),
        ),
      );
    } finally {
      await gw.close();
    }
  });

  it('[DET-14] with `instructions: warn`, starts the server and reports the verdict with its reasons', async () => {
    const dir = tempDir();
    const gw = await startStdioGateway(config('warn', dir));
    try {
      expect(
        await gw.client.callTool({ name: 'bad__echo', arguments: { text: 'fine' } }),
      ).toMatchObject({ content: [{ text: 'fine' }] });
      await eventually(() =>
        gw.stderr.some(
          (l) =>
            l.includes('"method":"initialize"') &&
            l.includes('"action":"warn"') &&
            l.includes('"rule"'),
        ),
      );
    } finally {
      await gw.close();
    }
  });
});
