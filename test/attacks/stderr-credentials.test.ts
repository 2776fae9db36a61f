import { afterEach, describe, expect, it } from 'vitest';
import { eventually, fixture, startStdioGateway, type Running } from '../e2e/harness.js';

/** Hostile review #19, item 9: a server prints credentials it did not get from toolgate to its stderr. */

// Built at run time so no scanner mistakes this file for a leak.
const GITHUB = `ghp_${'A1b2C3d4'.repeat(4)}Zz9Y`;
const AWS = `AKIA${'Q7W3E9R2'.repeat(2)}`;
const SLACK = `xoxb-${'1234567890'.repeat(2)}-abcdef`;

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('when a server writes credentials to its stderr', () => {
  it('[CRED-5] logs the line with every known credential format redacted, not only its own configured secrets', async () => {
    gw = await startStdioGateway({
      servers: {
        leaky: {
          command: process.execPath,
          args: [fixture('attacker')],
          env: { ATTACK_STDERR: `debug: token=${GITHUB} aws=${AWS} slack=${SLACK} done` },
          tools: ['echo'],
          sandbox: false,
        },
      },
    });
    const stderrEvent = () =>
      gw?.stderr.find((line) => line.includes('"kind":"stderr"') && line.includes('debug: token='));
    await eventually(() => stderrEvent() !== undefined, 30_000);
    const line = stderrEvent() as string;
    expect(line).toContain('[REDACTED:github-token]');
    expect(line).toContain('[REDACTED:aws-access-key]');
    expect(line).toContain('[REDACTED:slack-token]');
    expect(line).toContain('done');
    for (const secret of [GITHUB, AWS, SLACK]) expect(gw.stderr.join('\n')).not.toContain(secret);
  });
});
