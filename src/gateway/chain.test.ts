import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAudit } from '../audit/setup.js';
import { parseConfig } from '../config/load.js';
import { parseLock } from '../pins/lock.js';
import { SecretRegistry } from '../secrets/registry.js';
import { createChain } from './chain.js';
import { FlowLedger } from '../authz/flows.js';
import { createMemoryRateStore } from '../authz/rate-limit.js';

const rawConfig = (content: Record<string, unknown> = {}) => ({
  audit: false,
  lock: { required: false },
  content,
  servers: { files: { url: 'http://127.0.0.1:9/mcp', tools: ['read'] } },
});
const config = (content?: Record<string, unknown>) => parseConfig(rawConfig(content));
const base = {
  lock: undefined,
  audit: undefined,
  secrets: new SecretRegistry(),
  note: () => undefined,
  authz: {
    ledger: new FlowLedger({
      privateUntrustedSink: 'ask',
      privateValueInSink: 'ask',
      minMatchLength: 16,
      inferLabels: false,
    }),
    approve: () => Promise.resolve({ by: 'test' }),
    rates: createMemoryRateStore(),
  },
};
const namesOf = (chain: readonly { name: string }[]) => chain.map((i) => i.name);

describe('THE chain', () => {
  it('lists every defense in the order of the mission: allowlist, policy and flows, secrets, sanitize, detect, output', () => {
    expect(namesOf(createChain(config(), base))).toEqual([
      'enforceAllowlist',
      'authorize',
      'redactSecrets',
      'sanitizeText',
      'detectInjection',
      'validateOutput',
    ]);
  });

  it('has pins after the allowlist with a lock, audit around everything with a log, and no detector when it is off', () => {
    const configPath = join(mkdtempSync(join(tmpdir(), 'toolgate-chain-')), 'toolgate.yaml');
    const audited = parseConfig({ ...rawConfig({ detect: { enabled: false } }), audit: {} });
    const audit = createAudit(audited, configPath, () => undefined);
    const lock = parseLock({ lockfileVersion: 1, servers: {} });
    const chain = createChain(audited, { ...base, lock, audit });
    audit?.log.close();
    expect(namesOf(chain)).toEqual([
      'recordOutcome',
      'enforceAllowlist',
      'verifyPins',
      'authorize',
      'redactSecrets',
      'sanitizeText',
      'validateOutput',
      'recordForward',
    ]);
  });
});
