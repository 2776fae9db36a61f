import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { toInitializeRecord, type Lock } from '../pins/lock.js';
import { wrapWarnings } from './readiness.js';

const imported = ConfigSchema.parse({
  servers: {
    github: {
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github@2025.4.8'],
      secrets: { GITHUB_TOKEN: { env: 'GITHUB_TOKEN' } },
    },
    remote: {
      url: 'http://127.0.0.1:1/mcp',
      secretHeaders: { Authorization: { env: 'REMOTE_AUTHORIZATION' } },
    },
  },
});

const locked = (...ids: string[]): Lock => ({
  lockfileVersion: 1,
  servers: Object.fromEntries(
    ids.map((id) => [
      id,
      {
        package: { kind: 'remote', url: 'http://127.0.0.1:1/mcp' },
        initialize: toInitializeRecord({
          serverInfo: { name: id, version: '1' },
          capabilities: {},
        }),
        tools: {},
        prompts: {},
        resources: {},
        resourceTemplates: {},
      },
    ]),
  ),
});

describe('what a client wrapped now would meet', () => {
  it('[INIT-6] warns that a config imported and wrapped in one step has no lock and allows nothing', () => {
    const warnings = wrapWarnings(imported, '/h/toolgate.yaml', '/h/toolgate.lock', undefined);
    expect(warnings[0]).toContain('no lock at /h/toolgate.lock');
    expect(warnings[0]).toContain('LOCK_MISSING');
    expect(warnings[0]).toContain('toolgate lock --config "/h/toolgate.yaml"');
    expect(warnings[1]).toContain('POLICY_TOOL_DENIED');
    expect(warnings[1]).toContain('toolgate init --tools --config "/h/toolgate.yaml"');
    expect(warnings[2]).toContain('(GITHUB_TOKEN, REMOTE_AUTHORIZATION)');
    expect(warnings[2]).toContain('SECRET_UNAVAILABLE');
    expect(warnings).toHaveLength(3);
  });

  it('[INIT-6] names each server the lock lacks, and nothing once locked and reviewed', () => {
    const reviewed = ConfigSchema.parse({
      servers: { a: { url: 'http://127.0.0.1:1/mcp', tools: ['read'] }, b: { url: 'http://x/' } },
    });
    expect(wrapWarnings(reviewed, '/h/t.yaml', '/h/toolgate.lock', locked('a'))).toEqual([
      'server b is not in the lock: toolgate does not start it (LOCK_SERVER_MISSING); run toolgate lock --config "/h/t.yaml" b',
    ]);
    expect(wrapWarnings(reviewed, '/h/t.yaml', '/h/toolgate.lock', locked('a', 'b'))).toEqual([]);
  });
});
