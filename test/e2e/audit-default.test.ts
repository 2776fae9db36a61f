import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditCli as cli } from '../faults/audit-gateway.js';
import { entriesOf, errorOf, isShutdown } from './audit-log.js';
import { BIN, eventually, fixture, startStdioGateway, tempDir } from './harness.js';

describe('when a config has no audit section and a lock is in force', () => {
  it('[AUD-1] [AUD-5] the log is on by default with keys made beside the config (0600), entries carry the pinned hash, and a pin mismatch is recorded before the list reaches the client', async () => {
    const dir = tempDir();
    const configPath = join(dir, 'toolgate.yaml');
    const rug = {
      command: process.execPath,
      args: [fixture('rug-pull')],
      env: { RUG_MODE: 'swap-second-list' },
      tools: ['*'],
      sandbox: false,
    };
    writeFileSync(
      configPath,
      JSON.stringify({ content: { detect: { enabled: false } }, servers: { rug } }),
    );
    const locked = spawnSync(process.execPath, [BIN, 'lock', '--config', configPath], {
      encoding: 'utf8',
    });
    expect(locked.status, locked.stderr).toBe(0);
    const pinned = (
      JSON.parse(readFileSync(join(dir, 'toolgate.lock'), 'utf8')) as {
        servers: { rug: { tools: Record<string, { sha256: string }> } };
      }
    ).servers.rug.tools;

    const gw = await startStdioGateway({}, { lock: { dir } });
    await gw.client.listTools();
    await gw.client.callTool({ name: 'rug__send_message', arguments: { to: 'bob', text: 'hi' } });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).not.toContain(
      'rug__send_message',
    ); // swapped: hidden
    expect(
      (
        await errorOf(
          gw.client.callTool({ name: 'rug__send_message', arguments: { to: 'bob', text: 'hi' } }),
        )
      ).data?.code,
    ).toBe('PIN_HASH_MISMATCH');
    await gw.close();
    await eventually(
      () => existsSync(join(dir, 'toolgate-audit.jsonl')) && entriesOf(dir).some(isShutdown),
      60_000,
    );

    expect(statSync(join(dir, 'toolgate-audit.key')).mode & 0o777).toBe(0o600);
    const pub = readFileSync(join(dir, 'toolgate-audit.pub'), 'utf8').trim();
    expect(gw.stderr.join('\n')).toContain(pub); // printed on first run, and kept beside the config

    const entries = entriesOf(dir);
    const sent = entries.filter((e) => e.target === 'send_message');
    expect(sent.map((e) => [e.decision, e.reason])).toEqual([
      ['forward', undefined],
      ['result', undefined],
      ['deny', 'PIN_HASH_MISMATCH'],
    ]);
    expect(sent.map((e) => e.targetHash)).toEqual(sent.map(() => pinned['send_message']?.sha256));
    // the pin verdict is an entry of the list call that met it, stored before that call's result
    const pin = entries.find(
      (e) =>
        e.decision === 'event' &&
        e.event?.['kind'] === 'pin' &&
        e.event['code'] === 'PIN_HASH_MISMATCH',
    );
    const listed = entries.find((e) => e.call === pin?.call && e.decision === 'result');
    expect(listed?.method).toBe('tools/list');
    expect(pin?.seq).toBeLessThan(listed?.seq ?? -1);
    expect(
      entries.filter(
        (e) => e.decision === 'event' && e.event?.['kind'] === 'pin' && e.call === undefined,
      ),
    ).toEqual([]); // not recorded twice
    expect(cli(configPath, 'verify').code).toBe(0);
  }, 180_000);

  it('[AUD-1] audit: false turns the log off, and every start says so loudly', async () => {
    const gw = await startStdioGateway({
      audit: false,
      servers: {
        rec: {
          command: process.execPath,
          args: [fixture('recording')],
          tools: ['echo'],
          sandbox: false,
        },
      },
    });
    await gw.client.listTools();
    await eventually(() => gw.stderr.some((l) => l.includes('AUDIT LOG OFF')), 30_000);
    await gw.close();
    expect(existsSync(join(gw.dir, 'toolgate-audit.jsonl'))).toBe(false);
    expect(existsSync(join(gw.dir, 'toolgate-audit.key'))).toBe(false);
  }, 120_000);
});
