import type { Message, Result } from '../core/interceptor.js';
import type { CompiledAllowlist, ItemKind } from './compile.js';
import type { PolicyErrorCode } from '../errors.js';

export type Decision = { ok: true } | { ok: false; code: PolicyErrorCode; message: string };

const ALLOW: Decision = { ok: true };

/** Which item a request names, by method. Methods absent here name no item. */
const NAMED_ITEM: Readonly<Record<string, { kind: ItemKind; field: 'name' | 'uri' }>> = {
  'tools/call': { kind: 'tool', field: 'name' },
  'prompts/get': { kind: 'prompt', field: 'name' },
  'resources/read': { kind: 'resource', field: 'uri' },
  'resources/subscribe': { kind: 'resource', field: 'uri' },
  'resources/unsubscribe': { kind: 'resource', field: 'uri' },
};

const DENY_CODE = {
  tool: 'POLICY_TOOL_DENIED',
  prompt: 'POLICY_PROMPT_DENIED',
  resource: 'POLICY_RESOURCE_DENIED',
} as const satisfies Record<ItemKind, PolicyErrorCode>;

const deny = (kind: ItemKind, name: string): Decision => ({
  ok: false,
  code: DENY_CODE[kind],
  message: `${kind} "${name}" is not allowed by the gateway configuration`,
});

/** The item a `completion/complete` request refers to. */
const completionTarget = (
  params: Message['params'],
): { kind: ItemKind; name: string } | undefined => {
  const ref = params['ref'] as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
  if (ref?.type === 'ref/prompt' && typeof ref.name === 'string')
    return { kind: 'prompt', name: ref.name };
  if (ref?.type === 'ref/resource' && typeof ref.uri === 'string')
    return { kind: 'resource', name: ref.uri };
  return undefined;
};

/** Decides whether a message may pass the static allowlist. Pure. */
export const decideAllowlist = (allowlist: CompiledAllowlist, message: Message): Decision => {
  const { server, method, params } = message;
  if (message.direction === 'to-client') {
    if (message.kind === 'notification') return ALLOW;
    if (method === 'ping' || allowlist.allowsServerRequest(server, method)) return ALLOW;
    return {
      ok: false,
      code: 'POLICY_SERVER_REQUEST_DENIED',
      message: `server "${server}" may not send ${method} to the client`,
    };
  }
  if (message.kind === 'notification') return ALLOW;
  if (method === 'completion/complete') {
    const target = completionTarget(params);
    if (!target)
      return {
        ok: false,
        code: 'POLICY_TOOL_DENIED',
        message: 'completion reference is not understood',
      };
    return allowlist.allows(server, target.kind, target.name)
      ? ALLOW
      : deny(target.kind, target.name);
  }
  // untrusted: the method is the client's; "__proto__" or "toString" must not find Object.prototype's members.
  const item = Object.hasOwn(NAMED_ITEM, method) ? NAMED_ITEM[method] : undefined;
  if (!item) return ALLOW;
  const name = params[item.field];
  // untrusted: the client names the item; a missing or non-string name allows nothing.
  if (typeof name !== 'string') return deny(item.kind, String(name));
  return allowlist.allows(server, item.kind, name) ? ALLOW : deny(item.kind, name);
};

const LIST_FIELD: Readonly<Record<string, { field: string; kind: ItemKind; key: string }>> = {
  'tools/list': { field: 'tools', kind: 'tool', key: 'name' },
  'prompts/list': { field: 'prompts', kind: 'prompt', key: 'name' },
  'resources/list': { field: 'resources', kind: 'resource', key: 'uri' },
  'resources/templates/list': { field: 'resourceTemplates', kind: 'resource', key: 'uriTemplate' },
};

/**
 * Removes every item the allowlist does not name from a list result, whatever the server returned.
 * Pure: returns a new result. A server that adds tools later never gains any the config lacks.
 */
export const filterListResult = (
  allowlist: CompiledAllowlist,
  server: string,
  method: string,
  result: Result,
): Result => {
  const list = Object.hasOwn(LIST_FIELD, method) ? LIST_FIELD[method] : undefined;
  if (!list) return result;
  const items = result[list.field];
  // untrusted: a malformed list yields nothing rather than passing through unfiltered.
  if (!Array.isArray(items)) return { ...result, [list.field]: [] };
  const kept = items.filter((item: unknown) => {
    const key = (item as Record<string, unknown> | null)?.[list.key];
    return typeof key === 'string' && allowlist.allows(server, list.kind, key);
  });
  return { ...result, [list.field]: kept };
};

/** Whether a notification about a resource concerns an allowed one. */
export const allowsNotification = (allowlist: CompiledAllowlist, message: Message): boolean => {
  if (message.method !== 'notifications/resources/updated') return true;
  const uri = message.params['uri'];
  return typeof uri === 'string' && allowlist.allows(message.server, 'resource', uri);
};
