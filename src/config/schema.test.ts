import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { limitsOf, toJsonSchema } from './schema.js';

const minimal = {
  servers: {
    everything: {
      command: 'npx',
      args: ['@modelcontextprotocol/server-everything'],
      tools: ['echo'],
    },
  },
};

describe('config schema', () => {
  it('[CFG-2] matches the published JSON Schema', () => {
    const published: unknown = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../schema/toolgate.schema.json'), 'utf8'),
    );
    expect(published, 'schema/toolgate.schema.json drifted: run npm run schema').toEqual(
      toJsonSchema(),
    );
  });

  it('accepts the documented shape with defaults filled in', () => {
    const config = parseConfig({
      servers: { ...minimal.servers, remote: { url: 'http://127.0.0.1:9000/mcp', tools: ['*'] } },
    });
    expect(config.separator).toBe('__');
    expect(config.servers['everything']?.prompts).toEqual([]);
    expect(config.servers['everything']?.allow).toEqual({
      sampling: false,
      elicitation: false,
      roots: false,
    });
  });

  it('keeps jsonl as the default audit.store, takes postgres with a url, and says the SQLite store was removed', () => {
    const audit = parseConfig(minimal).audit;
    expect(audit === false ? undefined : audit.store).toBe('jsonl');
    expect(() => parseConfig({ ...minimal, audit: { store: 'sqlite' } })).toThrow(
      /the SQLite audit store was removed: use store: jsonl.*at audit\.store/s,
    );
    expect(() => parseConfig({ ...minimal, audit: { store: 'mysql' } })).toThrow(
      /the audit store must be jsonl or postgres/,
    );
    expect(() => parseConfig({ ...minimal, audit: { store: 'postgres' } })).toThrow(
      /store: postgres needs audit\.url/,
    );
    const pg = parseConfig({
      ...minimal,
      audit: { store: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' },
    }).audit;
    expect(pg === false ? undefined : pg.schema).toBe('toolgate');
  });

  describe('when a key or value is wrong', () => {
    it.each([
      [{ ...minimal, extra: 1 }, 'extra'],
      [{ servers: { everything: { ...minimal.servers.everything, tols: ['echo'] } } }, 'tols'],
      [{ servers: { Bad_Id: minimal.servers.everything } }, 'Bad_Id'],
      [
        {
          servers: { everything: { ...minimal.servers.everything, limits: { maxDepth: 'deep' } } },
        },
        'maxDepth',
      ],
      [{ ...minimal, separator: '-' }, 'separator'],
      [{ servers: { remote: { url: 'file:///etc/passwd' } } }, 'servers'],
      [
        {
          servers: { a: { command: 'x', namespace: false }, b: { command: 'x', namespace: false } },
        },
        'namespace: false',
      ],
    ])('[CFG-1] refuses %j naming %s', (doc, path) => {
      expect(() => parseConfig(doc)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(path) }),
      );
    });

    it('[ALLOW-3] refuses a wildcard mixed with names', () => {
      expect(() =>
        parseConfig({
          servers: { everything: { ...minimal.servers.everything, tools: ['*', 'echo'] } },
        }),
      ).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining('"*" must be the only entry'),
        }),
      );
    });

    it('[ALLOW-3] defaults an absent allowlist to nothing', () => {
      const config = parseConfig({ servers: { everything: { command: 'x' } } });
      expect(config.servers['everything']?.tools).toEqual([]);
    });
  });

  it('[ADV-1] refuses an advisory waiver for a server that is not configured', () => {
    const waiver = {
      advisory: 'GHSA-aaaa-bbbb-cccc',
      reason: 'not reachable here',
      expires: '2027-01-01',
    };
    expect(() =>
      parseConfig({
        ...minimal,
        advisories: { osv: 'osv', waivers: [{ ...waiver, server: 'everythng' }] },
      }),
    ).toThrow(/no server everythng in servers\n\s+→ at advisories\.waivers\.0\.server/);
    const ok = parseConfig({
      ...minimal,
      advisories: { osv: 'osv', waivers: [{ ...waiver, server: 'everything' }, waiver] },
    });
    expect(ok.advisories?.waivers).toHaveLength(2);
  });

  it('resolves limits: server over gateway over built-in', () => {
    const config = parseConfig({
      limits: { callTimeoutMs: 5000, maxDepth: 20 },
      servers: { everything: { ...minimal.servers.everything, limits: { maxDepth: 10 } } },
    });
    const limits = limitsOf(config, config.servers['everything']!);
    expect(limits).toEqual({
      maxMessageBytes: 4 * 1024 * 1024,
      maxDepth: 10,
      callTimeoutMs: 5000,
      maxConcurrentCalls: 32,
      listTimeoutMs: 3000,
    });
  });
});
