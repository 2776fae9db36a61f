import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../e2e/harness.js';
import {
  codeOf,
  GITHUB_TOKEN,
  INJECTION,
  startRawGateway,
  writeHolesConfig,
  type RawGateway,
} from './content-holes-gateway.js';

/**
 * Issue #19 item 2, replayed against `toolgate run`: a hostile server hides an injection or a token
 * in fields and keys the content walk used to skip (`data`, `type`, `mimeType`, `_meta`, property
 * names), behind 100,000 padding strings, and in a definition's `properties.data.description`.
 */
describe('content defenses read every field and key of what a server sends', () => {
  let gw: RawGateway;
  beforeAll(async () => {
    gw = await startRawGateway();
  });
  afterAll(() => gw.close());
  const reply = (kind: string) =>
    gw.request('tools/call', { name: 'holes__reply', arguments: { kind } });
  const leaked = (response: unknown) =>
    JSON.stringify(response).includes('disregard your earlier instructions');

  it('[CNT-1] passes a clean reply (control)', async () => {
    const response = await reply('plain');
    expect(response['result']).toMatchObject({ content: [{ type: 'text', text: 'ok' }] });
  });

  it.each(['meta', 'nested-meta', 'data', 'type', 'mime'])(
    '[CNT-1] blocks an injection hidden in a result field the walk skipped (%s)',
    async (kind) => {
      const response = await reply(kind);
      expect(leaked(response)).toBe(false);
      expect(codeOf(response)).toBe('DETECT_INJECTION');
    },
  );

  it('[CNT-1] leaves the base64 data of image content unread, as the schema says it is binary', async () => {
    const response = await reply('image');
    expect(response['result']).toMatchObject({
      content: [{ type: 'image', data: Buffer.from(INJECTION).toString('base64') }],
    });
  });

  it('[CNT-1] hides a tool whose definition is poisoned under inputSchema.properties.data.description, and refuses calls to it', async () => {
    const list = await gw.request('tools/list');
    const names = (list['result'] as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toContain('holes__echo');
    expect(names).not.toContain('holes__notes');
    const call = await gw.request('tools/call', { name: 'holes__notes', arguments: { data: 'x' } });
    expect(codeOf(call)).toBe('DETECT_POISONED_DEFINITION');
    expect(gw.received()).not.toContain('tools/call {"name":"notes"');
  });

  it('[CNT-2] blocks an injection used as a property name', async () => {
    const response = await reply('key-injection');
    expect(leaked(response)).toBe(false);
    expect(codeOf(response)).toBe('DETECT_INJECTION');
  });

  it('[CNT-2] redacts a GitHub token used as a property name', async () => {
    const response = await reply('key-token');
    expect(JSON.stringify(response)).not.toContain(GITHUB_TOKEN);
    expect(response['result']).toMatchObject({ _meta: { '[REDACTED:github-token]': 'backup' } });
  });

  it('[CNT-3] refuses a result whose keys merge once hidden characters are stripped', async () => {
    expect(codeOf(await reply('key-collision'))).toBe('CONTENT_KEY_COLLISION');
  });

  it('[CNT-3] reads past 100,000 padding strings: the injection after them is blocked', async () => {
    const response = await reply('padding');
    expect(leaked(response)).toBe(false);
    expect(codeOf(response)).toBe('DETECT_INJECTION');
  });
});

describe('toolgate lock reads every field of a definition', () => {
  it('[CNT-1] refuses to pin a tool poisoned under inputSchema.properties.data.description', async () => {
    const { dir, configPath } = writeHolesConfig();
    const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [BIN, 'lock', '--config', configPath],
        { timeout: 120_000 },
        (error, _stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stderr }),
      ),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('LOCK_POISONED');
    expect(result.stderr).toMatch(/block: holes tools\/notes scored/);
    expect(existsSync(join(dir, 'toolgate.lock'))).toBe(false);
  });
});
