import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toCanonicalJson } from '../../src/core/canonical-json.js';
import { loadKeys } from '../../src/audit/keys.js';
import { digestOf } from '../../src/audit/redact.js';
import { eventually, fixture } from '../e2e/harness.js';
import { auditCli, entriesAt, startGateway } from './audit-gateway.js';

/** The recording fixture's echo (it records nothing without RECORD_FILE): quick, and from this checkout's build. */
const echo = { command: process.execPath, args: [fixture('recording')], tools: ['echo'] };

/** The log as `toolgate audit export` reads it through the store (piped, as a shell pipeline reads it). */
const exportedEntries = (configPath: string) => {
  const out = auditCli(configPath, 'export', '--format', 'jsonl');
  if (out.code !== 0) throw new Error(`export failed: ${out.err}`);
  return out.out
    .split('\n')
    .filter((line) => line && !line.startsWith('{"checkpoint":'))
    .map((line) => JSON.parse(line) as ReturnType<typeof entriesAt>[number]);
};

describe('when the gateway is killed with SIGKILL under load', () => {
  it('[AUD-7] every call the client saw answered is in the log, and the log verifies', async () => {
    const gw = await startGateway({
      servers: { echo },
      audit: { checkpoint: { everyEntries: 50 } },
    });
    const logFile = join(gw.dir, 'toolgate-audit.jsonl');
    const answered: string[] = [];
    let sent = 0;
    let killed = false;
    const failures: string[] = [];
    const worker = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const message = `w${w}-${i}`;
        sent++;
        try {
          await gw.client.callTool({ name: 'echo__echo', arguments: { text: message } });
          answered.push(message);
        } catch (error) {
          if (killed) return; // the gateway is gone
          // A refused call before the kill (e.g. the upstream still starting on a loaded machine) is
          // not a lost one: it was never answered. Keep the load on.
          failures.push(String((error as Error).message));
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const workers = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));
    await eventually(() => answered.length >= 300, 150_000).catch(() => {
      killed = true;
      throw new Error(
        `only ${answered.length} calls answered; last failures: ${failures.slice(-3).join(' | ')}\ngateway stderr:\n${gw.stderr.join('').slice(-3000)}`,
      );
    });
    killed = true;
    process.kill(gw.pid, 'SIGKILL');
    await workers;
    await gw.transport.close().catch(() => undefined);

    const { hmacKey } = loadKeys(join(gw.dir, 'toolgate-audit.key'));
    // a killed process leaves whole lines: each group of entries went out in one write(2)
    expect(readFileSync(logFile, 'utf8').endsWith('\n')).toBe(true);
    const entries = exportedEntries(gw.configPath);
    const forwarded = new Map(
      entries
        .filter((e) => e.decision === 'forward' && e.target === 'echo')
        .map((e) => [(e.args as { hmac: string }).hmac, e.call]),
    );
    const results = new Set(
      entries.filter((e) => e.decision === 'result' && e.target === 'echo').map((e) => e.call),
    );
    const missing = answered.filter((m) => {
      const call = forwarded.get(digestOf(hmacKey, toCanonicalJson({ text: m })));
      return call === undefined || !results.has(call);
    });
    expect(missing).toEqual([]);
    const verify = auditCli(gw.configPath, 'verify');
    expect(verify.code, verify.out + verify.err).toBe(0);
    // the export (piped, as a shell pipeline reads it) holds every entry verify counted
    expect(verify.out).toMatch(new RegExp(`^ok: ${entries.length} entries`));
    console.info(
      `SIGKILL test: ${sent} calls sent, ${answered.length} answered, ${entries.length} entries stored, ${results.size} results; ${verify.out.trim()}`,
    );

    // A new gateway resumes the killed one's log (streaming it to rebuild the tree's edge): what it
    // appends chains on to the stored entries and the whole log still verifies.
    const again = await startGateway(
      { servers: { echo }, audit: { checkpoint: { everyEntries: 50 } } },
      gw.dir,
    );
    await again.client.callTool({ name: 'echo__echo', arguments: { text: 'after the restart' } });
    await again.client.close(); // waits for the gateway to exit (its shutdown checkpoint written)
    const resumed = entriesAt(logFile);
    expect(resumed.slice(0, entries.length)).toEqual(entries);
    expect(resumed.length).toBeGreaterThan(entries.length);
    expect(
      resumed.slice(entries.length).some((e) => e.decision === 'result' && e.target === 'echo'),
    ).toBe(true);
    const reverify = auditCli(gw.configPath, 'verify');
    expect(reverify.code, reverify.out + reverify.err).toBe(0);
  }, 240_000);
});
