import { AuthzError } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Interceptor, Message, Result } from '../core/interceptor.js';
import type { Approver } from './approval.js';
import { decideFlow, labelsOf, stringsIn, type FlowLedger, type Label } from './flows.js';
import { decidePolicy, stricter, type CompiledPolicy, type PolicyDecision } from './policy.js';
import type { RateStore, Taken } from './rate-limit.js';
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
  readonly approval?: 'approved' | 'refused';
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

/**
 * Defense 7: who may call what. Cedar policy on the agent, the item, its arguments and the session's
 * labels; the default information-flow rules; human approval for `ask`; rate limits. Server-declared
 * annotations can only tighten a decision: it is taken once as declared and once as if the server
 * had declared the worst, and the stricter one stands.
 * @example
 * const chain = [authorize({ config, policy, ledger, approve, rates })];
 */
export const authorize = (deps: AuthzDeps): Interceptor => {
  const declared = new Map<string, Declared>();
  const now = deps.now ?? (() => new Date());
  const emit = deps.emit ?? (() => undefined);

  const decide = (
    message: Message,
    subject: NonNullable<ReturnType<typeof subjectOf>>,
    labels: readonly Label[],
    sessionLabels: readonly string[],
  ): PolicyDecision => {
    if (!deps.policy) return ALLOW;
    const key = `${message.server}/${subject.name}`;
    const known = subject.kind === 'Tool' ? declared.get(key) : undefined;
    const facts = { labels, sessionLabels, now: now() };
    const args = (message.params['arguments'] ?? {}) as Record<string, unknown>;
    const worst = decidePolicy(
      deps.policy,
      toCedarRequest(message, subject, { ...facts, declared: WORST }, args),
    );
    if (!known || JSON.stringify(known) === JSON.stringify(WORST)) return worst;
    return stricter(
      worst,
      decidePolicy(
        deps.policy,
        toCedarRequest(message, subject, { ...facts, declared: known }, args),
      ),
    );
  };

  /** Takes a token from each bucket of the request, or throws RATE_LIMITED; a promise only when the store's take is one. */
  const limit = (message: Message, name: string | undefined): void | Promise<void> => {
    const { perAgent, perTool } = deps.config.rateLimits;
    const at = now().getTime();
    const checks = [
      perAgent && ([`agent:${message.principal.id}`, perAgent] as const),
      perTool &&
        name !== undefined &&
        ([`tool:${message.principal.id}:${message.server}/${name}`, perTool] as const),
    ];
    const refuse = (key: string, taken: Taken) => {
      if (!taken.ok)
        throw new AuthzError(
          'RATE_LIMITED',
          `rate limit of ${key.startsWith('agent:') ? 'this agent' : 'this tool for this agent'} reached: retry in ${(taken.retryAfterMs / 1000).toFixed(1)} s`,
        );
    };
    const from = (i: number): void | Promise<void> => {
      for (; i < checks.length; i++) {
        const check = checks[i];
        if (!check) continue;
        const taken = deps.rates.take(check[0], check[1], at);
        if (taken instanceof Promise) {
          const next = i + 1;
          return taken.then((t) => {
            refuse(check[0], t);
            return from(next);
          });
        }
        refuse(check[0], taken);
      }
    };
    return from(0);
  };

  const filterList = (message: Message, result: Result): Result => {
    const list = LIST_ACTIONS[message.method];
    const items = list && result[list.field];
    if (!list || !Array.isArray(items)) return result;
    if (list.kind === 'Tool')
      for (const item of items as Record<string, unknown>[])
        if (typeof item['name'] === 'string')
          declared.set(`${message.server}/${item['name']}`, toDeclared(item['annotations']));
    if (!deps.policy) return result;
    const kept = (items as Record<string, unknown>[]).filter((item) => {
      const name = item[list.key];
      if (typeof name !== 'string') return false;
      const subject = { action: message.method, kind: list.kind, name };
      const labels =
        list.kind === 'Tool'
          ? labelsOf(deps.config, message.server, name, declared.get(`${message.server}/${name}`))
          : [];
      const decision = decide(message, subject, labels, []);
      if (decision.effect === 'deny')
        emit(
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

  return async function authorize(message, next) {
    if (message.kind === 'notification') return next(message);
    if (message.direction === 'to-server' && message.method in LIST_ACTIONS)
      return filterList(message, await next(message));
    const subject = subjectOf(message);
    if (!subject) return next(message);
    const tool = subject.kind === 'Tool' ? subject.name : undefined;
    if (message.direction === 'to-server') {
      const limited = limit(message, tool);
      if (limited) await limited;
    }
    const flow = deps.ledger.of(flowKeyOf(message));
    const labels =
      tool === undefined
        ? []
        : labelsOf(deps.config, message.server, tool, declared.get(`${message.server}/${tool}`));
    const policy = decide(message, subject, labels, [...flow.received].sort());
    const flowVerdict =
      tool === undefined
        ? undefined
        : decideFlow(deps.config.flows, flow, labels, stringsIn(message.params['arguments'] ?? {}));
    const verdict = flowVerdict?.rule
      ? stricter(policy, {
          effect: flowVerdict.effect,
          policies: [flowVerdict.rule],
          reason: flowVerdict.reason,
        })
      : policy;
    const event = {
      kind: 'authz',
      server: message.server,
      method: message.method,
      item: subject.name,
      by: verdict.policies,
      reason: verdict.reason,
    } as const;
    if (verdict.effect === 'deny') {
      emit({ ...event, effect: 'deny' }, message);
      throw new AuthzError(
        verdict === policy ? 'AUTHZ_DENIED' : 'FLOW_DENIED',
        `${message.method} ${subject.name} denied: ${verdict.reason}`,
      );
    }
    if (verdict.effect === 'ask') {
      try {
        await deps.approve(message, { rule: verdict.policies.join(', '), reason: verdict.reason });
      } catch (error) {
        emit({ ...event, effect: 'ask', approval: 'refused' }, message);
        throw error;
      }
      emit({ ...event, effect: 'ask', approval: 'approved' }, message);
    }
    const result = await next(message);
    if (tool !== undefined) {
      for (const label of labels)
        if (label === 'private' || label === 'untrusted') flow.received.add(label);
      if (labels.includes('private'))
        flow.carry.add(stringsIn([result['content'], result['structuredContent']]));
    }
    return result;
  };
};
