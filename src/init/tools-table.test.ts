import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { toInitializeRecord, toLockItem, type Lock } from '../pins/lock.js';
import { toToolsTable } from './tools-table.js';

const config = ConfigSchema.parse({
  servers: {
    a: { url: 'http://127.0.0.1:1/mcp', tools: ['read'] },
    b: { url: 'http://127.0.0.1:2/mcp' },
  },
});
const lock: Lock = {
  lockfileVersion: 1,
  servers: {
    a: {
      package: { kind: 'remote', url: 'http://127.0.0.1:1/mcp' },
      initialize: toInitializeRecord({ serverInfo: { name: 'a', version: '1' }, capabilities: {} }),
      tools: {
        read: toLockItem({
          name: 'read',
          description: 'Reads a file.\nSecond line.',
          inputSchema: { type: 'object' },
        }),
        write: toLockItem({
          name: 'write',
          description: '\u001b[2J\u001b]0;owned\u0007Writes \u202eexe.txt',
          inputSchema: { type: 'object' },
        }),
      },
      prompts: {},
      resources: {},
      resourceTemplates: {},
    },
  },
};

describe('the review table after a lock', () => {
  it('lists each locked tool, whether it is allowed, and a server not locked yet', () => {
    const lines = toToolsTable(config, lock).split('\n');
    expect(lines[0]).toMatch(/^SERVER\s+TOOL\s+ALLOWED\s+DESCRIPTION$/);
    expect(lines[1]).toMatch(/^a\s+read\s+yes\s+Reads a file\. Second line\.$/);
    expect(lines[2]).toMatch(/^a\s+write\s+no\s+/);
    expect(lines[3]).toMatch(/^b\s+\(not locked\)/);
  });

  it("prints no control, format or bidi character from a server's description", () => {
    const table = toToolsTable(config, lock);
    expect(table).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
    expect(table).toContain('Writes exe.txt');
  });
});
