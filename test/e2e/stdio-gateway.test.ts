import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, npmServer, startStdioGateway, tempDir, type Running } from './harness.js';

// The gateway over stdio with real servers from npm; the hostile fixture server is in
// stdio-hostile.test.ts, the protocol eras in stdio-eras.test.ts.

const everything = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [npmServer('server-everything'), 'stdio'],
  ...extra,
});

describe('through toolgate run, with real servers from npm', () => {
  let gw: Running;
  let files: string;
  beforeAll(async () => {
    files = tempDir();
    writeFileSync(join(files, 'hello.txt'), 'hello from disk');
    gw = await startStdioGateway({
      pageSize: 2,
      servers: {
        everything: everything({
          tools: ['echo', 'get-sum'],
          prompts: ['simple-prompt', 'args-prompt', 'completable-prompt'],
          resources: ['demo://resource/static/document/architecture.md'],
        }),
        memory: {
          command: process.execPath,
          args: [npmServer('server-memory')],
          tools: ['create_entities', 'read_graph'],
          env: { MEMORY_FILE_PATH: join(files, 'memory.jsonl') },
          sandbox: { writable: [files] },
        },
        files: {
          command: process.execPath,
          args: [npmServer('server-filesystem'), files],
          tools: ['read_text_file', 'list_directory'],
          sandbox: { readOnly: [files] },
        },
        quiet: everything(),
      },
    });
  });
  afterAll(() => gw.close());

  it('[ALLOW-1] lists only the allowed tools, namespaced', async () => {
    const names = (await gw.client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual([
      'everything__echo',
      'everything__get-sum',
      'files__list_directory',
      'files__read_text_file',
      'memory__create_entities',
      'memory__read_graph',
    ]);
  });

  it('calls allowed tools on every server', async () => {
    expect(
      await gw.client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }),
    ).toMatchObject({
      content: [{ type: 'text', text: 'Echo: hi' }],
    });
    expect(
      await gw.client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 40 } }),
    ).toMatchObject({
      content: [{ text: expect.stringContaining('42') }],
    });
    const file = await gw.client.callTool({
      name: 'files__read_text_file',
      arguments: { path: join(files, 'hello.txt') },
    });
    expect(JSON.stringify(file.content)).toContain('hello from disk');
    await gw.client.callTool({
      name: 'memory__create_entities',
      arguments: {
        entities: [{ name: 'toolgate', entityType: 'gateway', observations: ['guards MCP'] }],
      },
    });
    const graph = await gw.client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(JSON.stringify(graph)).toContain('guards MCP');
  });

  it('[ALLOW-2] denies a tool the server has but the config does not allow', async () => {
    const error = await errorOf(gw.client.callTool({ name: 'everything__get-env', arguments: {} }));
    expect(error).toMatchObject({ code: -32003, data: { code: 'POLICY_TOOL_DENIED' } });
    const write = await errorOf(
      gw.client.callTool({
        name: 'files__write_file',
        arguments: { path: join(files, 'x'), content: 'x' },
      }),
    );
    expect(write.data?.code).toBe('POLICY_TOOL_DENIED');
    expect(existsSync(join(files, 'x'))).toBe(false);
  });

  it('[ALLOW-3] a server without an allowlist exposes nothing', async () => {
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names.filter((n) => n.startsWith('quiet__'))).toEqual([]);
    const error = await errorOf(
      gw.client.callTool({ name: 'quiet__echo', arguments: { message: 'x' } }),
    );
    expect(error.data?.code).toBe('POLICY_TOOL_DENIED');
    const prompts = await gw.client.listPrompts();
    expect(prompts.prompts.every((p) => !p.name.startsWith('quiet__'))).toBe(true);
  });

  it('[ALLOW-5] allowlists prompts and resources the same way', async () => {
    const prompt = await gw.client.getPrompt({ name: 'everything__simple-prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
    const denied = await errorOf(
      gw.client.getPrompt({
        name: 'everything__resource-prompt',
        arguments: { resourceType: 'Text', resourceId: '1' },
      }),
    );
    expect(denied.data?.code).toBe('POLICY_PROMPT_DENIED');
    const resources = (await gw.client.listResources()).resources.map((r) => r.uri);
    expect(resources).toEqual(['everything+demo://resource/static/document/architecture.md']);
    const read = await gw.client.readResource({
      uri: 'everything+demo://resource/static/document/architecture.md',
    });
    expect(read.contents[0]?.uri).toBe(
      'everything+demo://resource/static/document/architecture.md',
    );
    const other = await errorOf(
      gw.client.readResource({ uri: 'everything+demo://resource/static/document/features.md' }),
    );
    expect(other.data?.code).toBe('POLICY_RESOURCE_DENIED');
  });

  it('paginates aggregated lists with its own cursors', async () => {
    const page = (cursor?: string) =>
      gw.client.request({
        method: 'prompts/list',
        params: cursor === undefined ? {} : { cursor },
      }) as Promise<{
        prompts: { name: string }[];
        nextCursor?: string;
      }>;
    const first = await page();
    expect(first.prompts).toHaveLength(2);
    expect(first.nextCursor).toBeTypeOf('string');
    const second = await page(first.nextCursor);
    expect(second.prompts).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
    expect([...first.prompts, ...second.prompts].map((p) => p.name).sort()).toEqual([
      'everything__args-prompt',
      'everything__completable-prompt',
      'everything__simple-prompt',
    ]);
    const bad = await errorOf(page('forged'));
    expect(bad).toMatchObject({ code: -32602, data: { code: 'ROUTE_BAD_CURSOR' } });
  });

  it('routes completions to the prompt owner', async () => {
    const result = await gw.client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'E' },
    });
    expect(result.completion.values).toContain('Engineering');
  });

  it('[NS-1] refuses names without a known server prefix', async () => {
    expect(
      (await errorOf(gw.client.callTool({ name: 'nobody__echo', arguments: {} }))).data?.code,
    ).toBe('ROUTE_UNKNOWN_SERVER');
    expect((await errorOf(gw.client.callTool({ name: 'echo', arguments: {} }))).data?.code).toBe(
      'ROUTE_BAD_NAME',
    );
  });

  it('answers ping itself', async () => {
    await expect(gw.client.ping()).resolves.toBeDefined();
  });
});
