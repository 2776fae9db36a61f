import { inputResponse } from '@modelcontextprotocol/server';
import { AuthzError } from '../errors.js';
import type { InBandInput, Message, Result } from '../core/interceptor.js';
import type { ApprovalBinding, ApprovalStates } from './approval-state.js';
import type { ApprovalQueue } from './queue.js';

/** Why a call needs a human: the rule or policy that asked, and its reason. */
interface Question {
  readonly rule: string;
  readonly reason: string;
}

/**
 * How an `ask` ended well: a human let the call on (`by`: who, for the audit log), or the call is to
 * be answered with a result instead (a 2026-07-28 client's `input_required` question).
 */
export type Approval = { readonly by: string } | { readonly answer: Result };

/** Resolves when a human approved the call; rejects with a coded AuthzError otherwise. */
export type Approver = (message: Message, question: Question) => Promise<Approval>;

/** Who answered an MCP elicitation: the client's user, whoever that is to the client. */
const USER = 'the user (elicitation)';

/** The one question toolgate asks: a form with a single yes/no field. */
const elicitation = (message: Message, question: Question) => ({
  mode: 'form' as const,
  message: `toolgate asks before this call: ${question.reason} (${question.rule}).\n${summary(message)}`,
  requestedSchema: {
    type: 'object' as const,
    properties: {
      approve: { type: 'boolean' as const, title: 'Allow this call', default: false },
    },
    required: ['approve'],
  },
});

/** The key of toolgate's question in an `input_required` result's `inputRequests`. */
const IN_BAND_KEY = 'toolgate_approval';

const bindingOf = (message: Message, question: Question): ApprovalBinding => ({
  agent: message.principal.id,
  server: message.server,
  tool: typeof message.params['name'] === 'string' ? message.params['name'] : message.method,
  arguments: message.params['arguments'] ?? {},
  rule: question.rule,
});

/**
 * A 2026-07-28 client is asked in band: a call without a `requestState` is answered with an
 * `input_required` result carrying the question and a state bound to this call (approval-state.ts);
 * the re-sent call's state is verified and spent, and its answer read. Only an accepted `approve:
 * true` lets the call on.
 */
const askInBand = async (
  states: ApprovalStates,
  input: InBandInput,
  message: Message,
  question: Question,
): Promise<Approval> => {
  const binding = bindingOf(message, question);
  const now = Date.now();
  if (input.state === undefined)
    return {
      answer: {
        resultType: 'input_required',
        inputRequests: {
          [IN_BAND_KEY]: { method: 'elicitation/create', params: elicitation(message, question) },
        },
        requestState: await states.mint(binding, now),
      },
    };
  await states.redeem(input.state, binding, now);
  const answer = inputResponse(input.responses, IN_BAND_KEY);
  if (
    answer.kind !== 'elicit' ||
    answer.action !== 'accept' ||
    answer.content?.['approve'] !== true
  )
    throw new AuthzError('APPROVAL_DENIED', `the user did not approve: ${question.reason}`);
  return { by: USER };
};

const summary = (message: Message): string => {
  const name = typeof message.params['name'] === 'string' ? message.params['name'] : message.method;
  const args = JSON.stringify(message.params['arguments'] ?? {});
  return `${message.server}/${name} ${args.length > 2000 ? `${args.slice(0, 2000)}…` : args}`;
};

/**
 * A client that cannot be asked waits while an operator answers with `toolgate approvals` (queue.ts);
 * no answer within `timeoutMs` refuses the call.
 */
const waitForOperator = async (
  queue: ApprovalQueue,
  message: Message,
  question: Question,
  timeoutMs: number,
): Promise<Approval> => {
  const name = typeof message.params['name'] === 'string' ? message.params['name'] : message.method;
  const answer = await queue.wait(
    {
      agent: message.principal.id,
      server: message.server,
      item: name,
      summary: summary(message),
      rule: question.rule,
      reason: question.reason,
    },
    timeoutMs,
    message.signal,
  );
  if (answer === 'timeout')
    throw new AuthzError('APPROVAL_TIMEOUT', `no operator answered within ${timeoutMs} ms`);
  if (answer.decision === 'deny')
    throw new AuthzError('APPROVAL_DENIED', `operator ${answer.by} refused: ${question.reason}`);
  return { by: answer.by };
};

/**
 * Asks the user through MCP elicitation (form mode: one yes/no field) when the client declared it;
 * a client that cannot be asked waits for an operator when there is a queue, else gets
 * FLOW_APPROVAL_REQUIRED; a decline APPROVAL_DENIED, silence past
 * the timeout APPROVAL_TIMEOUT. toolgate's own question, not a server's: it goes straight to the
 * client and is never subject to the server-request allowlist.
 * @example
 * const approve = createElicitingApprover(120_000);
 */
export const createElicitingApprover =
  (timeoutMs: number, queue?: ApprovalQueue, states?: ApprovalStates): Approver =>
  async (message, question) => {
    const client = message.client;
    // Only the agent's own call can be answered with a question; an upstream's request to the client cannot.
    if (client?.inBand?.canElicit && states && message.direction === 'to-server')
      return askInBand(states, client.inBand, message, question);
    if (!client?.canElicit()) {
      if (queue) return waitForOperator(queue, message, question, timeoutMs);
      throw new AuthzError(
        'FLOW_APPROVAL_REQUIRED',
        `${question.reason} (${question.rule}): this call needs a human's approval, and the client cannot be asked (no elicitation; no approval queue)`,
      );
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    let answer: Record<string, unknown>;
    try {
      answer = await client.request(
        'elicitation/create',
        elicitation(message, question),
        AbortSignal.any([message.signal, timeout]),
      );
    } catch (error) {
      if (timeout.aborted)
        throw new AuthzError(
          'APPROVAL_TIMEOUT',
          `no answer to the approval within ${timeoutMs} ms`,
        );
      throw error;
    }
    const content = answer['content'] as Record<string, unknown> | undefined;
    if (answer['action'] !== 'accept' || content?.['approve'] !== true)
      throw new AuthzError('APPROVAL_DENIED', `the user did not approve: ${question.reason}`);
    return { by: USER };
  };
