import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runToolgate } from './harness.js';

/**
 * `toolgate store gc` with real npm servers locked into one shared store by two projects: what a
 * named config's lock references stays (and still starts), everything else goes, and an install in
 * progress is left alone.
 */

const EVERYTHING = '@modelcontextprotocol/server-everything@2026.8.31';
const MEMORY = '@modelcontextprotocol/server-memory@2026.8.31';

const project = (root: string, name: string, store: string, server: Record<string, unknown>) => {
  const dir = join(root, name);
  mkdirSync(dir);
  const config = join(dir, 'toolgate.yaml');
  writeFileSync(
    config,
    JSON.stringify({ lock: { store }, audit: false, servers: { [name]: server } }),
  );
  return config;
};

describe('when two projects share a package store and one is collected', () => {
  it('removes the entries no named lock references, keeps the referenced ones working', async () => {
    const root = mkdtempSync(join(tmpdir(), 'toolgate-gc-'));
    chmodSync(root, 0o755); // the sandbox's own uid must reach the store
    const store = join(root, 'store');
    const env = { XDG_STATE_HOME: join(root, 'state') };
    const memory = project(root, 'memory', store, {
      command: 'npx',
      args: ['-y', MEMORY],
      env: { MEMORY_FILE_PATH: '${TOOLGATE_STATE_DIR}/memory.jsonl' },
      tools: ['read_graph'],
    });
    const everything = project(root, 'everything', store, {
      command: 'npx',
      args: ['-y', EVERYTHING],
      tools: ['echo'],
    });
    const toolgate = (args: string[]) => runToolgate(args, { env, timeoutMs: 400_000 });
    for (const config of [memory, everything]) {
      const locked = await toolgate(['lock', '--config', config]);
      expect(locked.code, locked.stderr).toBe(0);
    }
    const entries = readdirSync(store).filter((name) => !name.startsWith('.'));
    expect(entries.map((name) => name.replace(/@2026\.8\.31-.*/, '')).sort()).toEqual([
      '@modelcontextprotocol+server-everything',
      '@modelcontextprotocol+server-memory',
    ]);
    const inProgress = join(store, '.install-in-progress');
    mkdirSync(inProgress);

    // Both projects named: nothing to collect.
    const both = await toolgate(['store', 'gc', '-c', memory, '-c', everything, '--dry-run']);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toContain(`${store}: kept 2 entries, would remove 0`);

    // Only one named: a dry run lists the other project's entry and removes nothing.
    const dry = await toolgate(['store', 'gc', '-c', memory, '--dry-run']);
    expect(dry.stdout).toMatch(
      /^would remove @modelcontextprotocol\+server-everything@2026\.8\.31-/m,
    );
    expect(readdirSync(store).filter((name) => !name.startsWith('.'))).toHaveLength(2);

    const gc = await toolgate(['store', 'gc', '-c', memory]);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain(`${store}: kept 1 entry, removed 1`);
    const left = readdirSync(store);
    expect(left.filter((name) => !name.startsWith('.'))).toEqual(
      entries.filter((name) => name.includes('server-memory')),
    );
    expect(existsSync(inProgress)).toBe(true);

    // The kept entry still matches its lock and starts; the collected project's entry is gone, and it says so.
    const kept = await toolgate(['diff', '--config', memory]);
    expect(kept.code, kept.stdout + kept.stderr).toBe(0);
    const collected = await toolgate(['diff', '--config', everything]);
    expect(collected.code).toBe(1);
    expect(collected.stdout).toContain('everything PACKAGE CHANGED');
    expect(collected.stdout).toContain('is not in the package store');
  }, 900_000);
});
