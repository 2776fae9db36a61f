import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, npmServer, startStdioGateway, tempDir, type Running } from './harness.js';
import { events, hostile } from './hostile-rig.js';

describe('when real npm servers run sandboxed', () => {
  let gw: Running;
  let files: string;
  let memory: string;
  beforeAll(async () => {
    files = tempDir();
    memory = tempDir();
    writeFileSync(join(files, 'hello.txt'), 'hello from disk');
    gw = await startStdioGateway({
      servers: {
        files: {
          command: process.execPath,
          args: [npmServer('server-filesystem'), files],
          tools: ['read_text_file', 'write_file', 'list_directory'],
          sandbox: { writable: [files] },
        },
        memory: {
          command: process.execPath,
          args: [npmServer('server-memory')],
          env: { MEMORY_FILE_PATH: join(memory, 'memory.jsonl') },
          tools: ['create_entities', 'read_graph'],
          sandbox: { writable: [memory] },
        },
        everything: {
          command: process.execPath,
          args: [npmServer('server-everything'), 'stdio'],
          tools: ['echo', 'get-sum'],
        },
      },
    });
  });
  afterAll(() => gw.close());

  it('[SBX-1] starts every stdio server in bubblewrap by default and they still work', async () => {
    await eventually(() => events(gw, 'started').length === 3, 30_000);
    const sandboxes = events(gw, 'sandbox');
    expect(sandboxes.map((e) => e.server).sort()).toEqual(['everything', 'files', 'memory']);
    expect(sandboxes.every((e) => e['mode'] === 'bubblewrap' && e['seccomp'] === true)).toBe(true);
    expect(
      await gw.client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }),
    ).toMatchObject({ content: [{ text: 'Echo: hi' }] });
    const read = await gw.client.callTool({
      name: 'files__read_text_file',
      arguments: { path: join(files, 'hello.txt') },
    });
    expect(JSON.stringify(read.content)).toContain('hello from disk');
    await gw.client.callTool({
      name: 'files__write_file',
      arguments: { path: join(files, 'new.txt'), content: 'written in the sandbox' },
    });
    expect(readFileSync(join(files, 'new.txt'), 'utf8')).toBe('written in the sandbox');
    await gw.client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'tg', entityType: 'gateway', observations: ['sandboxed'] }] },
    });
    expect(
      JSON.stringify(await gw.client.callTool({ name: 'memory__read_graph', arguments: {} })),
    ).toContain('sandboxed');
    expect(readFileSync(join(memory, 'memory.jsonl'), 'utf8')).toContain('sandboxed');
  });
});

describe('when the sandbox cannot be built', () => {
  it('[SBX-8] fails closed: the server does not start and the log says why and how to fix it', async () => {
    const gw = await startStdioGateway(
      {
        servers: {
          a: hostile({
            restart: {
              maxRetries: 0,
              initialDelayMs: 100,
              maxDelayMs: 100,
              startTimeoutMs: 30_000,
            },
          }),
        },
      },
      { env: { PATH: '/nonexistent' } },
    );
    try {
      await expect(gw.client.callTool({ name: 'a__whoami', arguments: {} })).rejects.toMatchObject({
        data: { code: 'UPSTREAM_UNAVAILABLE' },
      });
      await eventually(() => gw.stderr.some((l) => l.includes('bwrap (bubblewrap) not found')));
      expect(gw.stderr.join('\n')).toContain('apt-get install -y bubblewrap');
      expect(events(gw, 'sandbox')).toEqual([]);
    } finally {
      await gw.close();
    }
  });

  it('[SBX-8] refuses to start a server whose configured sandbox path does not exist, naming it', async () => {
    const gw = await startStdioGateway({
      servers: {
        a: hostile({
          sandbox: { writable: ['/nonexistent/toolgate-dir'] },
          restart: { maxRetries: 0, initialDelayMs: 100, maxDelayMs: 100, startTimeoutMs: 30_000 },
        }),
      },
    });
    try {
      // A config mistake no retry fixes: failed at once, naming the path (FAIL-3).
      await eventually(
        () =>
          events(gw, 'failed').some(
            (e) =>
              e['code'] === 'SANDBOX_UNAVAILABLE' &&
              String(e['reason']).includes('sandbox path /nonexistent/toolgate-dir does not exist'),
          ),
        30_000,
      );
      expect(events(gw, 'started')).toEqual([]);
      expect(events(gw, 'restarting')).toEqual([]);
    } finally {
      await gw.close();
    }
  });
});
