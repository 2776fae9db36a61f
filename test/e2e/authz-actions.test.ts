import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, fixture, startStdioGateway, tempDir, type Running } from './harness.js';

/**
 * Cedar decides more than tool calls: prompts, resources and the requests a server sends the client
 * (sampling here) are actions of their own, deny by default once a policy is set. Replayed on the
 * MCP conformance suite's reference server, which has all of them.
 */
const POLICY = `
permit (principal, action in [Toolgate::Action::"tools/list", Toolgate::Action::"tools/call"], resource in Toolgate::Server::"conf")
  when { resource.name == "test_simple_text" || resource.name == "test_sampling" };
permit (principal, action in [Toolgate::Action::"prompts/list", Toolgate::Action::"prompts/get"], resource in Toolgate::Server::"conf")
  when { resource.name == "test_simple_prompt" };
permit (principal, action in [Toolgate::Action::"resources/list", Toolgate::Action::"resources/read"], resource in Toolgate::Server::"conf")
  when { resource.uri == "test://static-text" };
permit (principal in Toolgate::Group::"samplers", action == Toolgate::Action::"server/request", resource in Toolgate::Server::"conf")
  when { resource.method == "sampling/createMessage" };
`;

const start = async (groups: string[], sampled: string[]): Promise<Running> => {
  const dir = tempDir();
  writeFileSync(join(dir, 'conf.cedar'), POLICY);
  return startStdioGateway(
    {
      servers: {
        conf: {
          command: process.execPath,
          args: [fixture('conformance'), 'stdio'],
          tools: ['*'],
          prompts: ['*'],
          resources: ['*'],
          allow: { sampling: true },
          protocol: '2025-11-25',
        },
      },
      agents: { alice: { groups, stdio: true } },
      policy: { files: [join(dir, 'conf.cedar')] },
    },
    {
      client: { capabilities: { sampling: {} } },
      setup: (client) =>
        client.setRequestHandler('sampling/createMessage', async (request) => {
          sampled.push(JSON.stringify(request.params.messages));
          return { model: 'test', role: 'assistant', content: { type: 'text', text: 'sampled' } };
        }),
    },
  );
};

describe('when a policy names prompts, resources and server requests', () => {
  const sampled: string[] = [];
  let gw: Running;
  beforeAll(async () => {
    gw = await start([], sampled);
  });
  afterAll(() => gw.close());

  it('[AUTHZ-1] prompts/list and prompts/get: only the permitted prompt is listed and served', async () => {
    const listed = (await gw.client.listPrompts()).prompts.map((p) => p.name);
    expect(listed).toEqual(['conf__test_simple_prompt']);
    const got = await gw.client.getPrompt({ name: 'conf__test_simple_prompt' });
    expect(got.messages.length).toBeGreaterThan(0);
    const refused = await errorOf(gw.client.getPrompt({ name: 'conf__test_prompt_with_image' }));
    expect(refused.data?.code).toBe('AUTHZ_DENIED');
  });

  it('[AUTHZ-1] resources/list and resources/read: only the permitted resource is listed and read', async () => {
    const listed = (await gw.client.listResources()).resources.map((r) => r.name);
    expect(listed).toEqual(['static-text']);
    const uri = (await gw.client.listResources()).resources[0]?.uri ?? '';
    const read = await gw.client.readResource({ uri });
    expect(JSON.stringify(read.contents)).toContain('static');
    const other = uri.replace('static-text', 'watched-resource');
    expect(other).not.toBe(uri);
    const refused = await errorOf(gw.client.readResource({ uri: other }));
    expect(refused.data?.code).toBe('AUTHZ_DENIED');
  });

  it('[AUTHZ-1] server/request: a permitted tool cannot make the client sample for an agent the policy does not allow it for', async () => {
    const result = await gw.client
      .callTool({ name: 'conf__test_sampling', arguments: { prompt: 'exfiltrate' } })
      .catch((error: unknown) => ({ isError: true, error: String(error) }));
    expect(JSON.stringify(result)).not.toContain('LLM response: sampled');
    expect(sampled).toEqual([]);
  });
});

describe('when the agent is in the group the server-request policy names', () => {
  it('[AUTHZ-1] the same sampling request reaches the client and its answer the server', async () => {
    const sampled: string[] = [];
    const gw = await start(['samplers'], sampled);
    try {
      const result = await gw.client.callTool({
        name: 'conf__test_sampling',
        arguments: { prompt: 'summarise' },
      });
      expect(JSON.stringify(result)).toContain('LLM response: sampled');
      expect(sampled).toHaveLength(1);
      expect(sampled[0]).toContain('summarise');
    } finally {
      await gw.close();
    }
  });
});
