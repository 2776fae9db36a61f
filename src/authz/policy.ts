import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { AuthzError } from '../errors.js';
import { CEDAR_SCHEMA } from './cedar-schema.js';

/** What a policy decides: `ask` sends the call for human approval (approval.ts). */
export type Effect = 'allow' | 'deny' | 'ask';

export interface PolicyDecision {
  readonly effect: Effect;
  /** Ids of the policies that decided (`@id`, else `FILE#N`); empty for the default deny. */
  readonly policies: readonly string[];
  /** Why, for the client, the approver and the audit log. */
  readonly reason: string;
}

/** One policy file's text, with the name errors and policy ids use. */
export interface PolicySource {
  readonly name: string;
  readonly text: string;
}

/**
 * Policies parsed, validated against the schema and cached in Cedar's wasm instance. `ask` lists the
 * forbid policies annotated `@ask("why")`: when only those forbid a request, it is asked, not denied.
 */
export interface CompiledPolicy {
  readonly setId: string;
  /** The same set without the `@ask` forbids: does a permit hold once the questions are set aside? */
  readonly permitsId: string;
  readonly ask: ReadonlyMap<string, string>;
  readonly notes: ReadonlyMap<string, string>;
}

export type EntityUid = { readonly type: string; readonly id: string };
export type CedarValue = cedar.CedarValueJson;
export interface CedarEntity {
  readonly uid: EntityUid;
  readonly attrs: Readonly<Record<string, CedarValue>>;
  readonly parents: readonly EntityUid[];
  readonly tags?: Readonly<Record<string, CedarValue>>;
}
export interface CedarRequest {
  readonly principal: EntityUid;
  readonly action: EntityUid;
  readonly resource: EntityUid;
  readonly context: Readonly<Record<string, CedarValue>>;
  readonly entities: readonly CedarEntity[];
}

let sets = 0;

const describeErrors = (errors: readonly { message: string }[]): string =>
  errors.map((e) => e.message).join('; ');

const shapeOf = (policy: string): { effect: string; annotations: Record<string, string> } => {
  const json = cedar.policyToJson(policy);
  return json.type === 'success'
    ? { effect: json.json.effect, annotations: json.json.annotations ?? {} }
    : { effect: 'unknown', annotations: {} };
};

/**
 * Parses and validates policy files (strict Cedar validation against {@link CEDAR_SCHEMA}), so a
 * typo is a load error naming the file and policy.
 * @example
 * const policy = compilePolicy([{ name: 'agents.cedar', text }]);
 */
export const compilePolicy = (sources: readonly PolicySource[]): CompiledPolicy => {
  const staticPolicies: Record<string, string> = {};
  const ask = new Map<string, string>();
  const notes = new Map<string, string>();
  for (const source of sources) {
    const parts = cedar.policySetTextToParts(source.text);
    if (parts.type === 'failure')
      throw new AuthzError(
        'AUTHZ_POLICY_INVALID',
        `policy file ${source.name}: ${describeErrors(parts.errors)}`,
      );
    if (parts.policy_templates.length > 0)
      throw new AuthzError(
        'AUTHZ_POLICY_INVALID',
        `policy file ${source.name}: templates are not supported; write static policies`,
      );
    parts.policies.forEach((text, index) => {
      const { effect, annotations } = shapeOf(text);
      const id = annotations['id'] ?? `${source.name}#${index + 1}`;
      if (id in staticPolicies)
        throw new AuthzError(
          'AUTHZ_POLICY_INVALID',
          `policy file ${source.name}: policy id "${id}" is used twice`,
        );
      staticPolicies[id] = text;
      if (annotations['ask'] !== undefined) {
        if (effect !== 'forbid')
          throw new AuthzError(
            'AUTHZ_POLICY_INVALID',
            `policy "${id}" in ${source.name}: @ask belongs on a forbid policy (it turns its deny into a question)`,
          );
        ask.set(id, annotations['ask'] || id);
      }
      notes.set(id, annotations['reason'] ?? annotations['ask'] ?? id);
    });
  }
  const validation = cedar.validate({
    schema: CEDAR_SCHEMA,
    policies: { staticPolicies },
    validationSettings: { mode: 'strict' },
  });
  if (validation.type === 'failure')
    throw new AuthzError('AUTHZ_POLICY_INVALID', describeErrors(validation.errors));
  if (validation.validationErrors.length > 0)
    throw new AuthzError(
      'AUTHZ_POLICY_INVALID',
      validation.validationErrors
        .map((e) => `policy "${e.policyId}": ${e.error.message}`)
        .join('\n'),
    );
  const setId = `toolgate-${++sets}`;
  const permitsId = `${setId}-permits`;
  const permits = Object.fromEntries(Object.entries(staticPolicies).filter(([id]) => !ask.has(id)));
  for (const [id, policies] of [
    [setId, staticPolicies],
    [permitsId, permits],
  ] as const) {
    const parsed = cedar.preparsePolicySet(id, { staticPolicies: policies });
    if (parsed.type === 'failure')
      throw new AuthzError('AUTHZ_POLICY_INVALID', describeErrors(parsed.errors));
  }
  return { setId, permitsId, ask, notes };
};

const toCedar = (uid: EntityUid): cedar.EntityUid => ({ type: uid.type, id: uid.id });

const isAuthorized = (setId: string, request: CedarRequest) =>
  cedar.statefulIsAuthorized({
    principal: toCedar(request.principal),
    action: toCedar(request.action),
    resource: toCedar(request.resource),
    context: request.context,
    preparsedPolicySetId: setId,
    entities: request.entities as cedar.EntityJson[],
  });

/** Whether a permit holds with the `@ask` forbids set aside (an evaluation error counts as no). */
const permitted = (policy: CompiledPolicy, request: CedarRequest): boolean => {
  const answer = isAuthorized(policy.permitsId, request);
  return (
    answer.type === 'success' &&
    answer.response.decision === 'allow' &&
    answer.response.diagnostics.errors.length === 0
  );
};

/**
 * Asks Cedar. Deny by default: no permit is a deny. A forbid annotated `@ask` asks instead, unless
 * another forbid also matched or no permit holds (a question never grants what no policy permits).
 * Any evaluation error denies (Cedar skips a policy that errors, and a skipped forbid must never
 * turn into an allow).
 */
export const decidePolicy = (policy: CompiledPolicy, request: CedarRequest): PolicyDecision => {
  const answer = isAuthorized(policy.setId, request);
  if (answer.type === 'failure')
    return {
      effect: 'deny',
      policies: [],
      reason: `policy evaluation failed: ${describeErrors(answer.errors)}`,
    };
  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0)
    return {
      effect: 'deny',
      policies: diagnostics.errors.map((e) => e.policyId),
      reason: `policy evaluation failed: ${diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`,
    };
  const policies = diagnostics.reason;
  const why = policies.map((id) => policy.notes.get(id) ?? id).join('; ');
  if (decision === 'allow') return { effect: 'allow', policies, reason: why };
  if (policies.length === 0)
    return { effect: 'deny', policies, reason: 'no policy permits it (deny by default)' };
  if (policies.every((id) => policy.ask.has(id)))
    return permitted(policy, request)
      ? { effect: 'ask', policies, reason: policies.map((id) => policy.ask.get(id)).join('; ') }
      : { effect: 'deny', policies: [], reason: 'no policy permits it (deny by default)' };
  return { effect: 'deny', policies, reason: why };
};

const RANK: Readonly<Record<Effect, number>> = { allow: 0, ask: 1, deny: 2 };

/** The stricter of two decisions: deny over ask over allow. */
export const stricter = (a: PolicyDecision, b: PolicyDecision): PolicyDecision =>
  RANK[b.effect] > RANK[a.effect] ? b : a;
