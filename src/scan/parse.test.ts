import { describe, expect, it } from 'vitest';
import { parseConfigText, stripJsonc } from './parse.js';
import { scanConfigText } from './scan.js';

describe('when reading JSONC', () => {
  it('[SCAN-1] blanks comments and trailing commas, never inside strings, and keeps every offset', () => {
    const text =
      '{\n  // a comment\n  "a": "x // y, }", /* b\n c */ "u": "https://h/*p*/",\n  "l": [1, 2,],\n}\n';
    const out = stripJsonc(text);
    expect(out.length).toBe(text.length);
    expect(out.split('\n').length).toBe(text.split('\n').length);
    expect(JSON.parse(out)).toEqual({ a: 'x // y, }', u: 'https://h/*p*/', l: [1, 2] });
  });

  it('[SCAN-1] points a finding after a block comment at its own line', () => {
    const parsed = parseConfigText(
      'mcp.json',
      '{\n/* one\n two */\n "servers": {\n  "s": { "command": "x", }\n }\n}',
    );
    expect(parsed.ok && parsed.lineOf('/servers/s/command')).toEqual({ line: 5, column: 21 });
  });
});

describe('when a config has unexpected shapes', () => {
  it.each([
    ['array', '[1, 2]'],
    ['string', '"mcpServers"'],
    ['server as array', '{"mcpServers": {"s": [1]}}'],
    [
      'args as string',
      '{"mcpServers": {"s": {"command": "npx", "args": "pkg", "env": [1], "headers": "x"}}}',
    ],
    ['non-string args', '{"mcpServers": {"s": {"command": 7, "args": [null, {}, "a"], "url": 3}}}'],
    ['bad url', '{"mcpServers": {"s": {"url": "http://[bad"}}}'],
    ['bad percent in URL', '{"mcpServers": {"s": {"url": "https://u:%zz@h/?token=%zz%zz%zz"}}}'],
    ['unterminated string', '{"mcpServers": {"s": "abc'],
    ['invalid toolgate config', 'servers: {}\n'],
  ])('[SCAN-8] returns a result or a message for %s, never throws', (_, text) => {
    const file = text.startsWith('servers') ? 'toolgate.yaml' : 'c.json';
    expect(() => scanConfigText(file, text)).not.toThrow();
  });
});
