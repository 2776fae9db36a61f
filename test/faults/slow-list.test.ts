import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Client,
  StreamableHTTPClientTransport,
  type ClientOptions,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../e2e/gateway-process.js';
import { eventually, fixture, startStdioGateway, tempDir, type Running } from '../e2e/harness.js';

/**
 * One server hangs in its start (the `late-start` fixture reads nothing until its gate file exists)
 * beside a good one. Its start may take a minute; every list must answer within the short list
 * budget, and the late server must be announced with list_changed once it is up.
 */
const BUDGET_MS = 1000;
const START_TIMEOUT_MS = 60_000;
/** A list that waited for the late server's start would take START_TIMEOUT_MS; one within the budget takes about BUDGET_MS. */
const WELL_BEFORE_START_MS = START_TIMEOUT_MS / 4;

const configFor = (gateDir: string, options: { crashOnce?: boolean } = {}) => ({
  version: 1,
  limits: { listTimeoutMs: BUDGET_MS },
  servers: {
    good: { command: process.execPath, args: [fixture('echo-server')], tools: ['echo'] },
    late: {
      command: process.execPath,
      args: [fixture('late-start')],
      env: {
        GATE_FILE: join(gateDir, 'gate'),
        ...(options.crashOnce && { CRASH_ONCE_FILE: join(gateDir, 'crashed') }),
      },
      sandbox: { writable: [gateDir] },
      protocol: '2025-11-25',
      tools: ['*'],
      prompts: ['*'],
      resources: ['*'],
      restart: {
        maxRetries: 5,
        initialDelayMs: 10,
        maxDelayMs: 1000,
        startTimeoutMs: START_TIMEOUT_MS,
      },
    },
    // Exits at once and is never restarted: failed. Its own budget is long, so only skipping it answers in time.
    gone: {
      command: process.execPath,
      args: ['-e', 'process.exit(3)'],
      sandbox: false,
      tools: ['*'],
      limits: { listTimeoutMs: START_TIMEOUT_MS },
      restart: {
        maxRetries: 0,
        initialDelayMs: 10,
        maxDelayMs: 10,
        startTimeoutMs: START_TIMEOUT_MS,
      },
    },
  },
});

/** Counts the list_changed notifications a client receives, per kind (2025: pushed; 2026-07-28: on its listen stream). */
const listChangedCounter = () => {
  const seen = { tools: 0, prompts: 0, resources: 0 };
  const options: ClientOptions['listChanged'] = {
    tools: { autoRefresh: false, debounceMs: 0, onChanged: () => void seen.tools++ },
    prompts: { autoRefresh: false, debounceMs: 0, onChanged: () => void seen.prompts++ },
    resources: { autoRefresh: false, debounceMs: 0, onChanged: () => void seen.resources++ },
  };
  return { seen, options };
};

const timed = async <T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
};

/** Every list kind, each timed: answered within the budget (generously bounded), with what is up. */
const expectListsInTime = async (client: Client) => {
  for (let round = 0; round < 3; round++) {
    const tools = await timed(() => client.listTools());
    expect(tools.ms).toBeLessThan(WELL_BEFORE_START_MS);
    expect(tools.value.tools.map((t) => t.name)).toEqual(['good__echo']);
  }
  const prompts = await timed(() => client.listPrompts());
  const resources = await timed(() => client.listResources());
  const templates = await timed(() => client.listResourceTemplates());
  for (const list of [prompts, resources, templates])
    expect(list.ms).toBeLessThan(WELL_BEFORE_START_MS);
  expect(prompts.value.prompts).toEqual([]);
  expect(resources.value.resources).toEqual([]);
  expect(templates.value.resourceTemplates).toEqual([]);
};

/** After the gate opens: list_changed of every kind arrives, then every list has the late server's items. */
const expectLateServerAnnounced = async (
  client: Client,
  seen: { tools: number; prompts: number; resources: number },
) => {
  await eventually(() => seen.tools > 0 && seen.prompts > 0 && seen.resources > 0, 30_000);
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(['good__echo', 'late__late_tool']);
  const { prompts } = await client.listPrompts();
  expect(prompts.map((p) => p.name)).toEqual(['late__late_prompt']);
  const { resources } = await client.listResources();
  expect(resources.map((r) => r.uri)).toEqual([expect.stringContaining('late://doc')]);
  const { resourceTemplates } = await client.listResourceTemplates();
  expect(resourceTemplates.map((r) => r.uriTemplate)).toEqual([
    expect.stringContaining('late://items/{id}'),
  ]);
};

describe.each([
  { era: '2025', negotiation: {} },
  {
    era: '2026-07-28',
    negotiation: { versionNegotiation: { mode: { pin: '2026-07-28' as const } } },
  },
])('when a server hangs in its start behind the stdio front ($era client)', ({ negotiation }) => {
  const gateDir = tempDir();
  const { seen, options } = listChangedCounter();
  let gateway: Running;
  beforeAll(async () => {
    gateway = await startStdioGateway(configFor(gateDir), {
      client: { ...negotiation, listChanged: options },
      awaitStart: false,
    });
    // The good server is up (a call waits for its start): from here on a list has something to wait for.
    await gateway.client.callTool({ name: 'good__echo', arguments: { text: 'up' } });
  });
  afterAll(async () => gateway?.close());

  it('[LIST-1] answers every list within the budget with the servers that are up, on later lists too', async () => {
    await expectListsInTime(gateway.client);
  });

  it('[LIST-3] skips a failed server at once, whatever its own list budget', async () => {
    // `gone` waits up to START_TIMEOUT_MS by its own budget; the lists above answered well before that.
    const { ms } = await timed(() => gateway.client.listTools());
    expect(ms).toBeLessThan(WELL_BEFORE_START_MS);
    expect(gateway.stderr.join('\n')).toMatch(
      /"server":"gone"[^\n]*"failed"|"failed"[^\n]*"server":"gone"/,
    );
  });

  it('[LIST-2] announces the late server with list_changed once it is up, and lists its items', async () => {
    writeFileSync(join(gateDir, 'gate'), 'open\n');
    await expectLateServerAnnounced(gateway.client, seen);
  });
});

describe('when a server hangs in its restarts behind the HTTP front', () => {
  const gateDir = tempDir();
  let serve: ServeProcess;
  const clients: Array<{
    era: string;
    client: Client;
    seen: ReturnType<typeof listChangedCounter>['seen'];
  }> = [];
  beforeAll(async () => {
    // The first start crashes at once (so `serve` listens), every restart then hangs until the gate opens.
    serve = await startServe(configFor(gateDir, { crashOnce: true }));
    for (const [era, negotiation] of [
      ['2025', {}],
      ['2026-07-28', { versionNegotiation: { mode: { pin: '2026-07-28' as const } } }],
    ] as const) {
      const { seen, options } = listChangedCounter();
      const client = new Client(
        { name: 'slow-list', version: '1.0.0' },
        { ...negotiation, listChanged: options },
      );
      await client.connect(new StreamableHTTPClientTransport(new URL(serve.url)));
      clients.push({ era, client, seen });
    }
  });
  afterAll(async () => {
    for (const { client } of clients) await client.close().catch(() => undefined);
    await serve?.stop();
  });

  it('[LIST-1] answers every list within the budget, for a 2025 session and a stateless 2026-07-28 client', async () => {
    for (const { client } of clients) await expectListsInTime(client);
  });

  it('[LIST-2] announces the late server to both (2026-07-28: on its subscriptions/listen stream)', async () => {
    writeFileSync(join(gateDir, 'gate'), 'open\n');
    for (const { client, seen } of clients) await expectLateServerAnnounced(client, seen);
  });
});
