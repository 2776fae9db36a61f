import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, eventually, fixture, startStdioGateway } from '../e2e/harness.js';

/** Hostile review #19, item 11: a checkpoint removed from the log, caught by the witness, was reported "at checkpoint undefined". */

const audit = (config: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'audit', ...args, '--config', config], {
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('when a checkpoint the witness holds is removed from the log', () => {
  it('[AUD-4] audit verify names the witness divergence, without "undefined"', async () => {
    const gw = await startStdioGateway({
      servers: {
        e: {
          command: process.execPath,
          args: [fixture('attacker')],
          tools: ['echo'],
          sandbox: false,
        },
      },
      audit: { checkpoint: { everyEntries: 2 }, witnessFile: 'witness.jsonl' },
    });
    const config = join(gw.dir, 'toolgate.yaml');
    const witness = join(gw.dir, 'witness.jsonl');
    for (const text of ['one', 'two', 'three'])
      await gw.client.callTool({ name: 'e__echo', arguments: { text } });
    await gw.close();
    // The export verifies against the witness once the gateway has written its last checkpoint.
    const exported = join(gw.dir, 'export.jsonl');
    await eventually(() => {
      const out = audit(config, 'export', '--format', 'jsonl').out;
      writeFileSync(exported, out);
      return (
        existsSync(witness) &&
        audit(config, 'verify', '--file', exported, '--witness', witness).out.startsWith('ok:')
      );
    }, 60_000);

    // The attacker drops the first checkpoint from the log; the witness still has it.
    const lines = readFileSync(exported, 'utf8').split('\n');
    const first = lines.findIndex((l) => l.startsWith('{"checkpoint"'));
    expect(first).toBeGreaterThanOrEqual(0);
    const tampered = join(gw.dir, 'tampered.jsonl');
    writeFileSync(tampered, lines.filter((_, i) => i !== first).join('\n'));
    const verify = audit(config, 'verify', '--file', tampered, '--witness', witness);
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(
      /^FAILED: the witness checkpoint of size \d+ is missing from the log's checkpoints/,
    );
    expect(verify.out).not.toContain('undefined');
  }, 120_000);
});
