import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CEDAR_SCHEMA } from './cedar-schema.js';
import { compilePolicy, decidePolicy } from './policy.js';
import { toArgumentTags, toCedarRequest, toDeclared, WORST } from './request.js';

const alice = {
  principal: { id: 'alice', transport: 'stdio' as const, groups: ['devs'] },
  server: 'gh',
};
const call = (name: string) => ({ action: 'tools/call', kind: 'Tool' as const, name });
const facts = { labels: [], sessionLabels: [], now: new Date('2026-12-07T10:00:00Z') };

describe('when policies load', () => {
  it('[AUTHZ-3] refuses text that does not parse, naming the file', () => {
    expect(() => compilePolicy([{ name: 'a.cedar', text: 'permit (principal, action' }])).toThrow(
      expect.objectContaining({
        code: 'AUTHZ_POLICY_INVALID',
        message: expect.stringContaining('a.cedar'),
      }),
    );
  });

  it('[AUTHZ-3] refuses a policy that names an attribute the schema does not have', () => {
    const text =
      '@id("x") permit (principal, action == Toolgate::Action::"tools/call", resource is Toolgate::Tool) when { resource.owner == "me" };';
    expect(() => compilePolicy([{ name: 'a.cedar', text }])).toThrow(
      expect.objectContaining({
        code: 'AUTHZ_POLICY_INVALID',
        message: expect.stringContaining('"x"'),
      }),
    );
  });

  it('[AUTHZ-3] refuses @ask on a permit and a policy id used twice', () => {
    expect(() =>
      compilePolicy([{ name: 'a.cedar', text: '@ask("?") permit (principal, action, resource);' }]),
    ).toThrow(/@ask belongs on a forbid/);
    const twice =
      '@id("p") permit (principal, action, resource);\n@id("p") forbid (principal, action, resource);';
    expect(() => compilePolicy([{ name: 'a.cedar', text: twice }])).toThrow(/used twice/);
  });
});

describe('when a request is decided', () => {
  const policy = compilePolicy([
    {
      name: 'p.cedar',
      text: `
permit (principal in Toolgate::Group::"devs", action == Toolgate::Action::"tools/call", resource)
  when { resource.declared.readOnly };
@ask("deletes things") forbid (principal, action == Toolgate::Action::"tools/call", resource)
  when { resource.declared.destructive && resource.name == "delete_repo" };
forbid (principal, action, resource) when { context has arguments && context.arguments.hasTag("force") && context.arguments.getTag("force") == "true" };`,
    },
  ]);
  const decide = (name: string, declared = WORST, args: Record<string, unknown> = {}) =>
    decidePolicy(policy, toCedarRequest(alice, call(name), { ...facts, declared }, args));

  it('[AUTHZ-1] denies by default when no permit matches', () => {
    expect(decide('list_repos', WORST)).toMatchObject({
      effect: 'deny',
      reason: expect.stringContaining('deny by default'),
    });
  });

  it('[AUTHZ-4] takes annotations as declared (the interceptor also decides with WORST and keeps the stricter)', () => {
    const readOnly = toDeclared({ readOnlyHint: true, destructiveHint: false });
    expect(decide('list_repos', readOnly).effect).toBe('allow');
    expect(decide('list_repos', WORST).effect).toBe('deny');
  });

  it('[AUTHZ-2] asks when only @ask forbids match, and denies when another forbid matches too', () => {
    const permitted = { ...toDeclared({ readOnlyHint: true }), destructive: true };
    expect(decide('delete_repo', permitted)).toMatchObject({
      effect: 'ask',
      reason: 'deletes things',
    });
    expect(decide('delete_repo', permitted, { force: true }).effect).toBe('deny');
  });

  it('[AUTHZ-1] [AUTHZ-2] an @ask forbid never turns "no permit" into a question: approval grants nothing', () => {
    // WORST is not read-only, so no permit holds; the @ask forbid matches all the same.
    expect(decide('delete_repo', WORST)).toEqual({
      effect: 'deny',
      policies: [],
      reason: 'no policy permits it (deny by default)',
    });
    const outsider = { ...alice, principal: { ...alice.principal, groups: [] } };
    const readOnly = { ...toDeclared({ readOnlyHint: true }), destructive: true };
    expect(
      decidePolicy(
        policy,
        toCedarRequest(outsider, call('delete_repo'), { ...facts, declared: readOnly }),
      ),
    ).toMatchObject({ effect: 'deny' });
  });
});

describe('when arguments become tags', () => {
  it('[AUTHZ-2] normalises file: URLs as their paths, percent-encoded dots included', () => {
    expect(
      toArgumentTags({
        a: 'file:///srv/docs/../../etc/passwd',
        b: 'FILE:///srv/docs/%2e%2e/%2E%2E/etc/shadow',
        c: 'file:///srv//docs/./x%20y',
        d: 'docs/../../etc/passwd',
        e: 'https://example.com/a/../b',
      }),
    ).toEqual({
      a: 'file:///etc/passwd',
      b: 'file:///etc/shadow',
      c: 'file:///srv/docs/x y',
      d: 'docs/../../etc/passwd',
      e: 'https://example.com/a/../b',
    });
  });

  it('[AUTHZ-2] normalises absolute paths, flattens records and writes other values as JSON', () => {
    expect(
      toArgumentTags({
        path: '/srv//docs/../../etc/./passwd',
        opts: { depth: 2, tags: ['a'] },
        n: 3,
        ok: true,
      }),
    ).toEqual({
      path: '/etc/passwd',
      opts: '{"depth":2,"tags":["a"]}',
      'opts.depth': '2',
      'opts.tags': '["a"]',
      n: '3',
      ok: 'true',
    });
  });
});

describe('the published Cedar schema', () => {
  it('[AUTHZ-3] matches the one policies are validated against', () => {
    const published = readFileSync(
      join(import.meta.dirname, '../../schema/toolgate.cedarschema'),
      'utf8',
    );
    expect(published, 'schema/toolgate.cedarschema drifted: run npm run schema').toBe(CEDAR_SCHEMA);
  });
});
