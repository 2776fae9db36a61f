import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertNode24,
  EVERYTHING,
  INSPECTOR,
  runProcess,
  startToolgateServe,
  TOOLGATE,
  writeConfig,
  type Listening,
  type ProcessResult,
} from './toolchain.js';

// The official MCP Inspector (CLI mode, Node >= 22.19) as the client, the official "everything"
// server as the upstream, toolgate in between: over stdio (`run`) and Streamable HTTP (`serve`).
const config = {
  servers: {
    everything: {
      command: process.execPath,
      args: [EVERYTHING, 'stdio'],
      tools: ['echo', 'get-sum'],
    },
  },
};

let node24 = '';
let configPath = '';

const inspect = async (
  target: readonly string[],
  args: readonly string[],
): Promise<ProcessResult> =>
  runProcess(node24, [INSPECTOR, '--cli', ...args, ...target], {
    timeoutMs: 45_000,
    // No OS keychain on CI machines: keep the Inspector's secret store in memory, quietly.
    env: { ...process.env, MCP_INSPECTOR_SECRET_STORE: 'memory' },
  });

const json = (result: ProcessResult): Record<string, unknown> => {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(
      `the Inspector printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
};

beforeAll(async () => {
  node24 = await assertNode24();
  configPath = writeConfig(config);
});

const fronts: { name: string; target: () => readonly string[] }[] = [
  // `--` ends the Inspector's options: its own `--config` would otherwise take toolgate's.
  {
    name: 'stdio (toolgate run)',
    target: () => ['--', process.execPath, TOOLGATE, 'run', '--no-lock', '--config', configPath],
  },
  {
    name: 'Streamable HTTP (toolgate serve)',
    target: () => ['--transport', 'http', '--server-url', http.url],
  },
];
let http: Listening;

beforeAll(async () => {
  http = await startToolgateServe(writeConfig(config));
});
afterAll(async () => {
  await http?.stop();
});

describe.each(fronts)('when the MCP Inspector CLI talks to toolgate over $name', ({ target }) => {
  it('lists exactly the allowed tools, namespaced', async () => {
    const result = await inspect(target(), ['--method', 'tools/list']);
    expect(result.code, result.stderr).toBe(0);
    const tools = json(result)['tools'] as { name: string }[];
    expect(tools.map((t) => t.name).sort()).toEqual(['everything__echo', 'everything__get-sum']);
  });

  it('calls an allowed tool and returns the upstream result', async () => {
    const echo = await inspect(target(), [
      '--method',
      'tools/call',
      '--tool-name',
      'everything__echo',
      '--tool-arg',
      'message=through the gate',
    ]);
    expect(echo.code, echo.stderr).toBe(0);
    expect(json(echo)).toEqual({ content: [{ type: 'text', text: 'Echo: through the gate' }] });

    const sum = await inspect(target(), [
      '--method',
      'tools/call',
      '--tool-name',
      'everything__get-sum',
      '--tool-arg',
      'a=2',
      'b=3',
    ]);
    expect(sum.code, sum.stderr).toBe(0);
    expect(JSON.stringify(json(sum))).toContain('The sum of 2 and 3 is 5');
  });

  it('fails a call of a tool the config does not allow', async () => {
    // The Inspector looks the tool up in tools/list first; toolgate hides it, so the call fails.
    const result = await inspect(target(), [
      '--method',
      'tools/call',
      '--tool-name',
      'everything__get-env',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/not found/i);
  });

  it('refuses a prompt the config does not allow, with the gateway denial', async () => {
    // prompts/get is sent as is, so this denial comes from toolgate's allowlist, not the Inspector.
    const result = await inspect(target(), [
      '--method',
      'prompts/get',
      '--prompt-name',
      'everything__simple-prompt',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('is not allowed by the gateway configuration');
  });
});
