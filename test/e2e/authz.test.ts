import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf, runToolgate, startStdioGateway, tempDir, type Running } from './harness.js';
import { call, textOf, workspace } from './workspace-rig.js';

const POLICY = `
@id("readers-list") permit (principal in Toolgate::Group::"readers", action == Toolgate::Action::"tools/list", resource in Toolgate::Server::"ws")
  when { resource.name like "read_*" };
@id("notes-only") permit (principal in Toolgate::Group::"readers", action == Toolgate::Action::"tools/call", resource in Toolgate::Server::"ws")
  when { resource.name == "read_file" && context.arguments.hasTag("path") && context.arguments.getTag("path") like "/home/dev/notes/*" };
@id("chat") permit (principal in Toolgate::Group::"chat", action in [Toolgate::Action::"tools/list", Toolgate::Action::"tools/call"], resource)
  when { resource.name == "send_message" };
@id("external-mail") @ask("a message to someone outside example.com")
forbid (principal, action == Toolgate::Action::"tools/call", resource)
  when { resource.name == "send_message" && context.arguments.hasTag("to") && !(context.arguments.getTag("to") like "*@example.com") };
`;

const policyGateway = async (agent: string, groups: string[]) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'agents.cedar'), POLICY);
  return startStdioGateway(
    {
      servers: { ws: workspace() },
      agents: { [agent]: { groups, stdio: true } },
      policy: { files: [join(dir, 'agents.cedar')] },
    },
    {},
  );
};

describe('when Cedar policies decide per agent', () => {
  it('[AUTHZ-1] two agents see different tools and get different decisions on the same call', async () => {
    const alice = await policyGateway('alice', ['readers']);
    const bob = await policyGateway('bob', ['chat']);
    try {
      const names = async (gw: Running) =>
        (await gw.client.listTools()).tools.map((t) => t.name).sort();
      expect(await names(alice)).toEqual([
        'ws__read_file',
        'ws__read_issue',
        'ws__read_private_repo',
      ]);
      expect(await names(bob)).toEqual(['ws__send_message']);
      const note = { path: '/home/dev/notes/todo.md' };
      expect(textOf(await call(alice, 'read_file', note))).toContain('Buy milk');
      expect((await errorOf(call(bob, 'read_file', note))).data?.code).toBe('AUTHZ_DENIED');
      expect(
        (await errorOf(call(alice, 'send_message', { to: 'a@example.com', text: 'hi' }))).data
          ?.code,
      ).toBe('AUTHZ_DENIED');
      expect(
        textOf(await call(bob, 'send_message', { to: 'a@example.com', text: 'hi' })),
      ).toContain('sent');
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });

  it('[AUTHZ-2] conditions on arguments: a path prefix that ".." cannot walk out of; @ask turns a forbid into a question', async () => {
    const alice = await policyGateway('alice', ['readers', 'chat']);
    try {
      const escape = await errorOf(
        call(alice, 'read_file', { path: '/home/dev/notes/../.ssh/id_ed25519' }),
      );
      expect(escape.data?.code).toBe('AUTHZ_DENIED');
      expect(escape.message).toMatch(/no policy permits it/);
      const outside = await errorOf(
        call(alice, 'send_message', { to: 'eve@evil.example', text: 'hi' }),
      );
      expect(outside.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
      expect(outside.message).toContain('outside example.com');
    } finally {
      await alice.close();
    }
  });

  it('[AUTHZ-3] a policy file that does not validate against the schema stops the start with AUTHZ_POLICY_INVALID', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'bad.cedar'),
      'permit (principal, action, resource) when { resource.colour == "red" };',
    );
    writeFileSync(
      join(dir, 'toolgate.yaml'),
      JSON.stringify({ servers: { ws: workspace() }, policy: { files: ['bad.cedar'] } }),
    );
    const run = await runToolgate(['run', '--no-lock', '--config', join(dir, 'toolgate.yaml')], {
      timeoutMs: 30_000,
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('AUTHZ_POLICY_INVALID');
    expect(run.stderr).toContain('colour');
  });
});

describe('when an agent calls too often', () => {
  it('[RATE-1] gets RATE_LIMITED with a retry hint once its bucket is empty; other tools keep their own', async () => {
    const gw = await startStdioGateway({
      servers: { ws: workspace() },
      rateLimits: { perTool: { capacity: 2, refillPerSecond: 0.001 } },
    });
    try {
      await call(gw, 'read_issue', { number: '1' });
      await call(gw, 'read_issue', { number: '2' });
      const limited = await errorOf(call(gw, 'read_issue', { number: '3' }));
      expect(limited.data?.code).toBe('RATE_LIMITED');
      expect(limited.message).toMatch(/retry in \d+(\.\d)? s/);
      expect(textOf(await call(gw, 'send_message', { to: 'team', text: 'ok' }))).toContain('sent');
    } finally {
      await gw.close();
    }
  });
});

describe('when policies are tested before they are deployed', () => {
  const example = join(import.meta.dirname, '../../examples/policy/agents.test.yaml');

  it('[AUTHZ-5] toolgate policy test runs the cases as the gateway decides them: exit 0 when all pass', async () => {
    const run = await runToolgate(['policy', 'test', example]);
    expect(run.stdout).toContain('7 passed, 0 failed');
    expect(run.code).toBe(0);
  });

  it('[AUTHZ-5] exits 1 naming the failing case, and 2 on a file that is not a policy test', async () => {
    const dir = tempDir();
    const cases = readFileSync(example, 'utf8').replace('expect: ask', 'expect: allow');
    writeFileSync(join(dir, 'agents.cedar'), readFileSync(join(example, '../agents.cedar')));
    writeFileSync(join(dir, 'cases.yaml'), cases);
    const failing = await runToolgate(['policy', 'test', join(dir, 'cases.yaml')]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(
      /FAIL {2}mail outside the company is asked: ask \(expected allow\)/,
    );
    writeFileSync(join(dir, 'bad.yaml'), 'cases: []');
    expect((await runToolgate(['policy', 'test', join(dir, 'bad.yaml')])).code).toBe(2);
  });
});
