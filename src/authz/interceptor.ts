import { AuthzError } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Interceptor, Message, Result } from '../core/interceptor.js';
import type { Approval, Approver } from './approval.js';
import {
  decideFlow,
  labelsOf,
  stringsIn,
  type FlowLedger,
  type Label,
  type SessionFlow,
} from './flows.js';
import { decidePolicy, stricter, type CompiledPolicy, type PolicyDecision } from './policy.js';
import { takeTokens, type RateStore } from './rate-limit.js';
import { subjectOf, toCedarRequest, toDeclared, WORST, type Declared } from './request.js';

/** One authorization verdict, for the gateway log and the audit log. */
export interface AuthzEvent {
  readonly kind: 'authz';
  readonly server: string;
  readonly method: string;
  readonly item?: string;
  readonly effect: 'allow' | 'deny' | 'ask' | 'hide';
  readonly by: readonly string[];
  readonly reason: string;
  /** `asked`: a 2026-07-28 client was sent the question (`input_required`); its answer comes with the retry. */
  readonly approval?: 'approved' | 'refused' | 'asked';
  /** Who approved: an operator (`USER@HOST` or `--by`) or the user through elicitation. */
  readonly approvedBy?: string;
}

export interface AuthzDeps {
  readonly config: Config;
  /** Compiled Cedar policies; without them only the flow rules and rate limits apply. */
  readonly policy?: CompiledPolicy | undefined;
  readonly ledger: FlowLedger;
  readonly approve: Approver;
  readonly rates: RateStore;
  readonly emit?: (event: AuthzEvent, message: Message) => void;
  readonly now?: () => Date;
}

const LIST_ACTIONS: Readonly<
  Record<string, { field: string; kind: 'Tool' | 'Prompt' | 'Resource'; key: string }>
> = {
  'tools/list': { field: 'tools', kind: 'Tool', key: 'name' },
  'prompts/list': { field: 'prompts', kind: 'Prompt', key: 'name' },
  'resources/list': { field: 'resources', kind: 'Resource', key: 'uri' },
};

const ALLOW: PolicyDecision = { effect: 'allow', policies: [], reason: 'no policy configured' };

/**
 * Whose history a message adds to: a 2025-era session's own, else the agent's. A 2026-07-28 client is
 * stateless (every HTTP request is a front session of its own), so its flow history is its agent's.
 */
const flowKeyOf = (message: Message): string =>
  message.client?.era === 'legacy' ? message.client.sessionId : `agent:${message.principal.id}`;

/** What the interceptor keeps between calls: its dependencies and the tools' declared annotations. */
interface Authz {
  readonly deps: AuthzDeps;
  /** Per `server/tool`, the annotations its server declared in its last tools/list. */
  readonly declared: Map<string, Declared>;
  readonly now: () => Date;
  readonly emit: (event: AuthzEvent, message: Message) => void;
}

type Subject = NonNullable<ReturnType<typeof subjectOf>>;

/**
 * The Cedar decision on a message: taken as if the server had declared the worst, and, when it
 * declared something milder, once more as declared; the stricter one stands.
 */
const decide = (
  authz: Authz,
  message: Message,
  subject: Subject,
  labels: readonly Label[],
  sessionLabels: readonly string[],
): PolicyDecision => {
  const { policy } = authz.deps;
  if (!policy) return ALLOW;
  const key = `${message.server}/${subject.name}`;
  const known = subject.kind === 'Tool' ? authz.declared.get(key) : undefined;
  const facts = { labels, sessionLabels, now: authz.now() };
  const args = (message.params['arguments'] ?? {}) as Record<string, unknown>;
  const worst = decidePolicy(
    policy,
    toCedarRequest(message, subject, { ...facts, declared: WORST }, args),
  );
  if (!known || JSON.stringify(known) === JSON.stringify(WORST)) return worst;
  return stricter(
    worst,
    decidePolicy(policy, toCedarRequest(message, subject, { ...facts, declared: known }, args)),
  );
};

/** The labels of `server`'s tool `name` (none for a prompt or resource). */
const toolLabels = (authz: Authz, server: string, name: string | undefined): readonly Label[] =>
  name === undefined
    ? []
    : labelsOf(authz.deps.config, server, name, authz.declared.get(`${server}/${name}`));

/**
 * A list result with the items the policy denies hidden (each hiding emitted); records the
 * annotations each listed tool declares.
 */
const filterList = (authz: Authz, message: Message, result: Result): Result => {
  const list = LIST_ACTIONS[message.method];
  const items = list && result[list.field];
  if (!list || !Array.isArray(items)) return result;
  if (list.kind === 'Tool')
    for (const item of items as Record<string, unknown>[])
      if (typeof item['name'] === 'string')
        authz.declared.set(`${message.server}/${item['name']}`, toDeclared(item['annotations']));
  if (!authz.deps.policy) return result;
  const kept = (items as Record<string, unknown>[]).filter((item) => {
    const name = item[list.key];
    if (typeof name !== 'string') return false;
    const subject = { action: message.method, kind: list.kind, name };
    const labels = list.kind === 'Tool' ? toolLabels(authz, message.server, name) : [];
    const decision = decide(authz, message, subject, labels, []);
    if (decision.effect === 'deny')
      authz.emit(
        {
          kind: 'authz',
          server: message.server,
          method: message.method,
          item: name,
          effect: 'hide',
          by: decision.policies,
          reason: decision.reason,
        },
        message,
      );
    return decision.effect !== 'deny';
  });
  return kept.length === items.length ? result : { ...result, [list.field]: kept };
};

/** The policy's decision, made stricter by the information-flow rules when one of them applies. */
const verdictOf = (
  authz: Authz,
  message: Message,
  subject: Subject,
  labels: readonly Label[],
  flow: SessionFlow,
): { readonly policy: PolicyDecision; readonly verdict: PolicyDecision } => {
  const policy = decide(authz, message, subject, labels, [...flow.received].sort());
  const flowVerdict =
    subject.kind === 'Tool'
      ? decideFlow(
          authz.deps.config.flows,
          flow,
          labels,
          stringsIn(message.params['arguments'] ?? {}),
        )
      : undefined;
  const verdict = flowVerdict?.rule
    ? stricter(policy, {
        effect: flowVerdict.effect,
        policies: [flowVerdict.rule],
        reason: flowVerdict.reason,
      })
    : policy;
  return { policy, verdict };
};

/**
 * Asks a human about an `ask` verdict; emits the answer, and throws on a refusal. Resolves with the
 * result to answer the call with when the question itself is the answer (`input_required`).
 */
const ask = async (
  authz: Authz,
  message: Message,
  verdict: PolicyDecision,
  event: Omit<AuthzEvent, 'effect'>,
): Promise<Result | undefined> => {
  let approval: Approval;
  try {
    approval = await authz.deps.approve(message, {
      rule: verdict.policies.join(', '),
      reason: verdict.reason,
    });
  } catch (error) {
    authz.emit({ ...event, effect: 'ask', approval: 'refused' }, message);
    throw error;
  }
  if ('answer' in approval) {
    authz.emit({ ...event, effect: 'ask', approval: 'asked' }, message);
    return approval.answer;
  }
  authz.emit({ ...event, effect: 'ask', approval: 'approved', approvedBy: approval.by }, message);
  return undefined;
};

/**
 * Throws on a denial (emitting it); asks a human on `ask`. A promise only for `ask`: an allowed call
 * goes on at once.
 */
const enforce = (
  authz: Authz,
  message: Message,
  subject: Subject,
  { policy, verdict }: { readonly policy: PolicyDecision; readonly verdict: PolicyDecision },
): void | Promise<Result | undefined> => {
  const event = {
    kind: 'authz',
    server: message.server,
    method: message.method,
    item: subject.name,
    by: verdict.policies,
    reason: verdict.reason,
  } as const;
  if (verdict.effect === 'deny') {
    authz.emit({ ...event, effect: 'deny' }, message);
    throw new AuthzError(
      verdict === policy ? 'AUTHZ_DENIED' : 'FLOW_DENIED',
      `${message.method} ${subject.name} denied: ${verdict.reason}`,
    );
  }
  if (verdict.effect === 'ask') return ask(authz, message, verdict, event);
};

/** Adds what a tool's result brought into the session: its private or untrusted labels, its private strings. */
const recordFlow = (flow: SessionFlow, labels: readonly Label[], result: Result): void => {
  for (const label of labels)
    if (label === 'private' || label === 'untrusted') flow.received.add(label);
  if (labels.includes('private'))
    flow.carry.add(stringsIn([result['content'], result['structuredContent']]));
};

/**
 * Defense 7: who may call what. Cedar policy on the agent, the item, its arguments and the session's
 * labels; the default information-flow rules; human approval for `ask`; rate limits. Server-declared
 * annotations can only tighten a decision: it is taken once as declared and once as if the server
 * had declared the worst, and the stricter one stands.
 * @example
 * const chain = [authorize({ config, policy, ledger, approve, rates })];
 */
export const authorize = (deps: AuthzDeps): Interceptor => {
  const authz: Authz = {
    deps,
    declared: new Map(),
    now: deps.now ?? (() => new Date()),
    emit: deps.emit ?? (() => undefined),
  };
  return async function authorize(message, next) {
    if (message.kind === 'notification') return next(message);
    if (message.direction === 'to-server' && message.method in LIST_ACTIONS)
      return filterList(authz, message, await next(message));
    const subject = subjectOf(message);
    if (!subject) return next(message);
    const tool = subject.kind === 'Tool' ? subject.name : undefined;
    if (message.direction === 'to-server') {
      const limited = takeTokens(deps.rates, deps.config.rateLimits, authz.now().getTime(), {
        agent: message.principal.id,
        server: message.server,
        name: tool,
      });
      if (limited) await limited;
    }
    const flow = deps.ledger.of(flowKeyOf(message));
    const labels = toolLabels(authz, message.server, tool);
    const asking = enforce(
      authz,
      message,
      subject,
      verdictOf(authz, message, subject, labels, flow),
    );
    const question = asking && (await asking);
    if (question) return question;
    const result = await next(message);
    if (tool !== undefined) recordFlow(flow, labels, result);
    return result;
  };
};
