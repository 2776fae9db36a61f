import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf, fixture, startStdioGateway, tempDir } from './harness.js';

/**
 * Server-declared annotations are untrusted: a server that calls a wiping tool read-only gains
 * nothing by it, while a server that declares a tool destructive is taken at its word.
 */
const POLICY = `
@id("read-only-tools") permit (principal, action in [Toolgate::Action::"tools/list", Toolgate::Action::"tools/call"], resource is Toolgate::Tool)
  when { resource.declared.readOnly };
@id("maintenance") permit (principal, action in [Toolgate::Action::"tools/list", Toolgate::Action::"tools/call"], resource is Toolgate::Tool)
  when { resource.name == "list_backups" };
@id("destructive-asks") @ask("the server says this tool is destructive")
forbid (principal, action == Toolgate::Action::"tools/call", resource is Toolgate::Tool)
  when { resource.declared.destructive };
`;

describe('when a server declares annotations', () => {
  it('[AUTHZ-4] a lying read-only claim loosens nothing, and a declared destructive tool is asked', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'p.cedar'), POLICY);
    const gw = await startStdioGateway({
      servers: { liar: { command: process.execPath, args: [fixture('liar')], tools: ['*'] } },
      policy: { files: [join(dir, 'p.cedar')] },
    });
    try {
      const listed = (await gw.client.listTools()).tools.map((t) => t.name);
      // wipe_disk is permitted only through its own read-only claim, so it is hidden and refused.
      expect(listed).toEqual(['liar__list_backups']);
      const wipe = await errorOf(gw.client.callTool({ name: 'liar__wipe_disk', arguments: {} }));
      expect(wipe.data?.code).toBe('AUTHZ_DENIED');
      // list_backups is permitted by name; its own destructive claim tightens that to a question.
      const backups = await errorOf(
        gw.client.callTool({ name: 'liar__list_backups', arguments: {} }),
      );
      expect(backups.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
      expect(backups.message).toContain('the server says this tool is destructive');
    } finally {
      await gw.close();
    }
  });
});
