import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig, parseConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'toolgate-load-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('when a config file is read', () => {
  it('loads YAML and fills in the defaults', async () => {
    const config = await loadConfig(
      file('ok.yaml', 'servers:\n  fs:\n    command: node\n    tools: [read]\n'),
    );
    expect(config.servers['fs']).toMatchObject({ command: 'node', tools: ['read'], prompts: [] });
    expect(config.separator).toBe('__');
  });

  it('loads JSON, which is YAML too', async () => {
    const config = await loadConfig(file('ok.json', '{"servers":{"fs":{"command":"node"}}}'));
    expect(config.servers['fs']).toMatchObject({ command: 'node' });
  });

  it('refuses a missing file with CONFIG_UNREADABLE naming the path and how to get a config', async () => {
    const path = join(dir, 'absent.yaml');
    await expect(loadConfig(path)).rejects.toMatchObject({
      code: 'CONFIG_UNREADABLE',
      message: expect.stringMatching(
        new RegExp(
          `^cannot read config ${path}: ENOENT.*--config FILE.*toolgate init --from CLIENT\\)$`,
        ),
      ) as string,
    });
  });

  it('[CFG-1] refuses text that is not YAML with CONFIG_INVALID', async () => {
    await expect(loadConfig(file('bad.yaml', 'servers: [unclosed\n'))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('is not valid YAML') as string,
    });
  });

  it('[CFG-1] refuses a key written twice, which YAML would otherwise resolve silently', async () => {
    const text = 'servers:\n  fs:\n    command: node\n    tools: [read]\n    tools: ["*"]\n';
    await expect(loadConfig(file('dup.yaml', text))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

describe('when a config document is validated', () => {
  it('[CFG-1] names the path inside the server branch that came closest, not "invalid input"', () => {
    const attempt = () => parseConfig({ servers: { fs: { command: 'node', tools: 'read' } } });
    expect(attempt).toThrow(/at servers\.fs\.tools/);
    expect(attempt).not.toThrow(/Invalid input\n/);
  });

  it('[CFG-1] suggests the allowed key an unknown one is a typo of, at its own level', () => {
    const typo = (doc: unknown) => () => parseConfig(doc, '/h/toolgate.yaml');
    const server = { command: 'npx', args: ['-y', 'pkg@1.0.0'] };
    expect(typo({ servers: { fs: { ...server, tool: ['read'] } } })).toThrow(
      /^invalid config \/h\/toolgate\.yaml:\n✖ Unrecognized key: "tool" \(did you mean "tools"\?\)\n {2}→ at servers\.fs$/,
    );
    expect(typo({ servers: { fs: { ...server, sandbox: { writeable: ['/x'] } } } })).toThrow(
      /did you mean "writable"\?/,
    );
    expect(typo({ servers: { r: { url: 'http://127.0.0.1:1/mcp', secretHeader: {} } } })).toThrow(
      /did you mean "secretHeaders"\?/,
    );
    expect(typo({ servers: {}, polcy: {} })).toThrow(/did you mean "policy"\?/);
    expect(typo({ servers: {}, polcy: {}, adit: {} })).toThrow(
      /did you mean "policy" for "polcy", "audit" for "adit"\?/,
    );
    // Nothing close: no guess.
    expect(typo({ servers: { fs: { ...server, frobnicate: 1 } } })).not.toThrow(/did you mean/);
  });

  it('[CFG-1] names the root when the document is not an object', () => {
    expect(() => parseConfig('servers')).toThrow(/at \(root\)/);
  });

  it('[CFG-1] refuses any document as CONFIG_INVALID and never with another error', () =>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({ maxDepth: 3 }),
          fc.record({ servers: fc.dictionary(fc.string(), fc.anything({ maxDepth: 3 })) }),
          fc.record({
            servers: fc.constant({ a: { command: 'x' } }),
            extra: fc.anything({ maxDepth: 2 }),
          }),
        ),
        (doc) => {
          try {
            parseConfig(doc);
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
          }
        },
      ),
      { numRuns: 50 },
    ));
});
