import type { FlowsConfig } from '../config/authz-schema.js';
import type { Config } from '../config/schema.js';
import { createCarryIndex, type CarryIndex } from './carry.js';
import type { Declared } from './request.js';

export type Label = 'private' | 'untrusted' | 'sink' | 'destructive';

/**
 * The label heuristic (`flows.inferLabels`): words in a tool's name, and its declared annotations.
 * It only ever adds labels, so at worst it asks about a call that did not need asking.
 */
const words = (...list: string[]): ReadonlySet<string> => new Set(list);
const READS = words('read', 'get', 'cat', 'show', 'query', 'search', 'list', 'export', 'dump');
const PRIVATE = words(
  'file',
  'files',
  'secret',
  'secrets',
  'env',
  'key',
  'keys',
  'credential',
  'credentials',
  'password',
  'passwords',
  'token',
  'tokens',
  'db',
  'database',
  'repo',
  'repository',
  'email',
  'emails',
  'message',
  'messages',
  'note',
  'notes',
  'document',
  'documents',
  'contacts',
  'calendar',
);
const UNTRUSTED = words(
  'fetch',
  'browse',
  'scrape',
  'crawl',
  'web',
  'url',
  'http',
  'download',
  'issue',
  'issues',
  'comment',
  'comments',
  'inbox',
  'page',
  'rss',
  'feed',
);
const SINK = words(
  'send',
  'post',
  'publish',
  'mail',
  'tweet',
  'upload',
  'push',
  'share',
  'notify',
  'webhook',
  'reply',
  'forward',
  'invite',
);
const DESTRUCTIVE = words(
  'delete',
  'remove',
  'drop',
  'destroy',
  'kill',
  'truncate',
  'rm',
  'purge',
  'wipe',
  'reset',
  'overwrite',
);

const inferred = (name: readonly string[]): Label[] => {
  const has = (set: ReadonlySet<string>) => name.some((w) => set.has(w));
  const out: Label[] = [];
  if (has(READS) && has(PRIVATE)) out.push('private');
  if (has(UNTRUSTED)) out.push('untrusted');
  if (has(SINK)) out.push('sink');
  if (has(DESTRUCTIVE)) out.push('destructive');
  return out;
};

const snake = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase();

/** A tool's labels: the config's, plus (with `inferLabels`) those its name and annotations suggest. */
export const labelsOf = (
  config: Config,
  server: string,
  tool: string,
  declared: Declared | undefined,
): Label[] => {
  const labels = new Set<Label>(config.servers[server]?.labels[tool] ?? []);
  if (config.flows.inferLabels) {
    for (const label of inferred(snake(tool).split('_'))) labels.add(label);
    if (declared?.openWorld && !declared.readOnly) labels.add('sink');
    if (declared?.destructive && !declared.readOnly) labels.add('destructive');
  }
  return [...labels].sort();
};

/** What one session has received so far: the flow rules' memory. */
export interface SessionFlow {
  readonly received: Set<Label>;
  readonly carry: CarryIndex;
}

/** Per-session flow state, keyed by front session (or agent, for messages without one). */
export class FlowLedger {
  readonly #sessions = new Map<string, SessionFlow>();
  readonly #flows: FlowsConfig;
  constructor(flows: FlowsConfig) {
    this.#flows = flows;
  }

  of(session: string): SessionFlow {
    let flow = this.#sessions.get(session);
    if (!flow) {
      flow = { received: new Set(), carry: createCarryIndex(this.#flows.minMatchLength) };
      this.#sessions.set(session, flow);
    }
    return flow;
  }

  /** Forgets a closed session. */
  drop(session: string): void {
    this.#sessions.delete(session);
  }
}

export interface FlowVerdict {
  readonly effect: 'allow' | 'ask' | 'deny';
  readonly rule?: string;
  readonly reason: string;
}

/**
 * The default flow rules, on without any policy file (docs/policy.md): a sink call after private data
 * and untrusted content reached the session, or a sink call carrying a private value, is asked.
 */
export const decideFlow = (
  flows: FlowsConfig,
  session: SessionFlow,
  labels: readonly Label[],
  argumentStrings: readonly string[],
): FlowVerdict => {
  if (!labels.includes('sink')) return { effect: 'allow', reason: 'not a sink' };
  const toxic = session.received.has('private') && session.received.has('untrusted');
  if (toxic && flows.privateUntrustedSink !== 'off')
    return {
      effect: flows.privateUntrustedSink,
      rule: 'privateUntrustedSink',
      reason:
        'this session received private data and untrusted content, and this tool sends data out',
    };
  if (flows.privateValueInSink !== 'off' && session.carry.carried(argumentStrings))
    return {
      effect: flows.privateValueInSink,
      rule: 'privateValueInSink',
      reason: 'the arguments carry a value from a private result, and this tool sends data out',
    };
  return { effect: 'allow', reason: 'no flow rule applies' };
};

/** Every string in a value (arguments, or a result's content), keys excluded. */
export const stringsIn = (value: unknown, out: string[] = [], depth = 0): string[] => {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'object' && value !== null && depth < 64)
    for (const v of Object.values(value)) stringsIn(v, out, depth + 1);
  return out;
};
