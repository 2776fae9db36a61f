// The workspace fixture and its labels, shared by the authorization, flow and approval tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, type Running } from './harness.js';

/**
 * The seed's attack vector 4, replayed: harmless tools chained into a theft. The workspace fixture's
 * sinks echo what they got, so a passing call shows exactly what would have left.
 */
const LABELS = {
  read_file: ['private'],
  read_private_repo: ['private'],
  read_issue: ['untrusted'],
  send_message: ['sink'],
  create_pull_request: ['sink'],
};
export const workspace = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [fixture('workspace')],
  tools: ['*'],
  labels: LABELS,
  ...extra,
});
export const KEY_PATH = '/home/dev/.ssh/id_ed25519';
export const PATIENTS = '/home/dev/private/patients.csv';
export const auditEvents = (dir: string) =>
  readFileSync(join(dir, 'toolgate-audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event?: Record<string, unknown> })
    .flatMap((entry) => (entry.event?.['kind'] === 'authz' ? [entry.event] : []));

export const call = (gw: Running, name: string, args: Record<string, string>) =>
  gw.client.callTool({ name: `ws__${name}`, arguments: args });
export const textOf = (result: unknown): string =>
  (result as { content: { text: string }[] }).content[0]?.text ?? '';
