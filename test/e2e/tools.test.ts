import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, runToolgate, startStdioGateway, tempDir } from './harness.js';

/** Runs the toolgate CLI; resolves with its exit code and output (never rejects). */
const toolgate = (args: string[]) => runToolgate(args);

interface Item {
  server: string;
  kind: string;
  name: string;
  publicName: string;
  verdict: string;
  code?: string;
  reason?: string;
}

/**
 * The rug-pull fixture, poisoned from its first list (send_message), locked with --allow-blocked:
 * one tool allowed, one left out, one allowlisted name the lock lacks, and a detector-hidden one.
 */
const lockedRig = async () => {
  const dir = tempDir();
  const config = join(dir, 'toolgate.yaml');
  const server = (tools: string[]) => ({
    command: process.execPath,
    args: [fixture('rug-pull')],
    env: { RUG_MODE: 'bait', RUG_LOG: join(dir, 'calls.log'), BAIT_BENIGN_FOR: '' },
    tools,
    prompts: ['*'],
    sandbox: false,
  });
  writeFileSync(
    config,
    JSON.stringify({
      content: { detect: { enabled: true } },
      servers: { rug: server(['ping_contact', 'send_message', 'no_such_tool']) },
    }),
  );
  const locked = await toolgate(['lock', '--config', config, '--allow-blocked']);
  expect(locked.code, locked.stderr).toBe(0);
  return { dir, config, server };
};

type Listing = { items: Item[]; warnings: { entry: string }[] };

/** Each listed name with `visible` or the code that hides it. */
const verdictsOf = (listing: Listing) =>
  Object.fromEntries(
    listing.items.map((i) => [i.publicName, i.verdict === 'visible' ? 'visible' : i.code]),
  );

/** `toolgate run` on the same config and lock shows exactly the listing's visible items. */
const expectGatewayShowsVisible = async (dir: string, listing: Listing) => {
  const gw = await startStdioGateway({}, { lock: { dir } });
  try {
    const shown = [
      ...(await gw.client.listTools()).tools,
      ...(await gw.client.listPrompts()).prompts,
    ]
      .map((t) => t.name)
      .sort();
    expect(shown).toEqual(
      listing.items
        .filter((i) => i.verdict === 'visible')
        .map((i) => i.publicName)
        .sort(),
    );
  } finally {
    await gw.close();
  }
};

describe('toolgate tools (real CLI, config and lock)', () => {
  it('[TOOLS-1] [TOOLS-2] [TOOLS-3] lists exactly what the gateway then shows, and why each other item is hidden', async () => {
    const { dir, config } = await lockedRig();
    const json = await toolgate(['tools', '--config', config, '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const listing = JSON.parse(json.stdout) as Listing;
    const verdicts = verdictsOf(listing);
    expect(verdicts).toEqual({
      rug__ping_contact: 'visible',
      rug__compose: 'visible',
      rug__refresh: 'POLICY_TOOL_DENIED',
      rug__send_message: 'DETECT_POISONED_DEFINITION',
      rug__no_such_tool: 'PIN_MISSING',
    });
    expect(listing.warnings.map((w) => w.entry)).toEqual(['no_such_tool']);

    // The gateway, run on the same config and lock, shows exactly the visible items.
    await expectGatewayShowsVisible(dir, listing);

    const table = await toolgate(['tools', '--config', config]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^SERVER\s+PUBLIC NAME\s+KIND\s+VERDICT\s+REASON/);
    expect(table.stdout).toMatch(
      /^rug\s+rug__ping_contact\s+tool\s+visible\s+Checks that a contact is reachable\.$/m,
    );
    expect(table.stdout).toMatch(
      /^rug\s+rug__refresh\s+tool\s+hidden POLICY_TOOL_DENIED\s+not in servers\.rug\.tools$/m,
    );
    expect(table.stdout).toMatch(/^rug\s+rug__no_such_tool\s+tool\s+hidden PIN_MISSING\s+/m);
    expect(table.stdout).toContain(
      'warning: servers.rug.tools entry "no_such_tool" matches nothing the lock holds (typo?)',
    );
    expect(table.stdout).toContain('2 visible, 3 hidden');
  }, 60_000);

  it('[TOOLS-1] a configured server the lock lacks is hidden whole; --server narrows the listing', async () => {
    const { config, server } = await lockedRig();
    const doc = JSON.parse(readFileSync(config, 'utf8')) as { servers: Record<string, unknown> };
    writeFileSync(
      config,
      JSON.stringify({
        ...doc,
        servers: { ...doc.servers, later: { ...server(['echo']), args: [fixture('echo-server')] } },
      }),
    );
    const all = JSON.parse(
      (await toolgate(['tools', '--config', config, '--format', 'json'])).stdout,
    ) as { items: Item[] };
    expect(all.items.filter((i) => i.server === 'later')).toEqual([
      expect.objectContaining({ kind: 'server', verdict: 'hidden', code: 'LOCK_SERVER_MISSING' }),
    ]);
    const one = JSON.parse(
      (await toolgate(['tools', '--config', config, '--server', 'later', '--format', 'json']))
        .stdout,
    ) as { items: Item[] };
    expect(one.items.map((i) => i.server)).toEqual(['later']);
  }, 60_000);

  it('[TOOLS-4] exits 2 on a usage error and 1 when the config or the lock cannot be read', async () => {
    const { dir, config } = await lockedRig();
    for (const args of [['--format', 'yaml'], ['--server', 'nope'], ['--bogus']]) {
      const r = await toolgate(['tools', '--config', config, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage: toolgate tools');
    }
    const missing = await toolgate(['tools', '--config', join(dir, 'absent.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('CONFIG_UNREADABLE');
    writeFileSync(join(dir, 'toolgate.lock'), '{ not json');
    const bad = await toolgate(['tools', '--config', config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('LOCK_INVALID');
  }, 60_000);
});

describe('toolgate tools --live (real CLI, servers started as lock does)', () => {
  it('[TOOLS-6] compares what each server lists now with the lock, as the gateway does', async () => {
    const { dir, config } = await lockedRig();
    // Since the lock, the server lists send_message changed (benign now) and a new, allowlisted tool.
    const doc = JSON.parse(readFileSync(config, 'utf8')) as {
      servers: { rug: { env: Record<string, string>; tools: string[] } };
    };
    doc.servers.rug.env = {
      ...doc.servers.rug.env,
      RUG_MODE: 'rename',
      RUG_EXTRA_TOOL: 'added_later',
    };
    doc.servers.rug.tools.push('added_later');
    writeFileSync(config, JSON.stringify(doc));
    const offline = JSON.parse(
      (await toolgate(['tools', '--config', config, '--format', 'json'])).stdout,
    ) as { items: Item[] };
    expect(offline.items.find((i) => i.name === 'added_later')).toMatchObject({
      code: 'PIN_MISSING',
    });
    const run = await toolgate(['tools', '--config', config, '--live', '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const listing = JSON.parse(run.stdout) as Listing;
    const verdicts = verdictsOf(listing);
    expect(verdicts).toEqual({
      rug__ping_contact: 'visible',
      rug__compose: 'visible',
      rug__refresh: 'POLICY_TOOL_DENIED',
      rug__send_message: 'PIN_HASH_MISMATCH',
      rug__added_later: 'PIN_MISSING',
      rug__no_such_tool: 'PIN_MISSING',
    });
    // Listed live, so not a typo; the name listed nowhere still is.
    expect(listing.warnings.map((w) => w.entry)).toEqual(['no_such_tool']);
    await expectGatewayShowsVisible(dir, listing);
  }, 60_000);
});
