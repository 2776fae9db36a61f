import type { Namespace } from './namespace.js';

export type ListMethod =
  'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list';
export type ListChangedMethod =
  | 'notifications/tools/list_changed'
  | 'notifications/prompts/list_changed'
  | 'notifications/resources/list_changed';

type Item = Record<string, unknown>;

/**
 * Per list method: the result field, the server capability it needs, the notification that says the
 * list changed, and how an item is namespaced.
 */
export const LIST_KINDS: Readonly<
  Record<
    ListMethod,
    {
      field: string;
      capability: string;
      key: string;
      route: 'name' | 'uri';
      changed: ListChangedMethod;
      toPublic: (item: Item, server: string, ns: Namespace) => Item;
    }
  >
> = {
  'tools/list': {
    field: 'tools',
    capability: 'tools',
    key: 'name',
    route: 'name',
    changed: 'notifications/tools/list_changed',
    toPublic: (t, s, ns) => ({ ...t, name: ns.toPublic(s, String(t['name'])) }),
  },
  'prompts/list': {
    field: 'prompts',
    capability: 'prompts',
    key: 'name',
    route: 'name',
    changed: 'notifications/prompts/list_changed',
    toPublic: (p, s, ns) => ({ ...p, name: ns.toPublic(s, String(p['name'])) }),
  },
  'resources/list': {
    field: 'resources',
    capability: 'resources',
    key: 'uri',
    route: 'uri',
    changed: 'notifications/resources/list_changed',
    toPublic: (r, s, ns) => ({ ...r, uri: ns.toPublicUri(s, String(r['uri'])) }),
  },
  'resources/templates/list': {
    field: 'resourceTemplates',
    capability: 'resources',
    key: 'uriTemplate',
    route: 'uri',
    changed: 'notifications/resources/list_changed',
    toPublic: (r, s, ns) => ({ ...r, uriTemplate: ns.toPublicUri(s, String(r['uriTemplate'])) }),
  },
};

/**
 * Rewrites the resource URIs a result carries (resource links and embedded resources in tool
 * results and prompt messages, read contents) into their public, namespaced form, so the client can
 * read them back through the gateway. Returns the same object when nothing needs changing.
 */
export const mapResultUris = <T extends Item>(result: T, toPublic: (uri: string) => string): T => {
  let changed = false;
  const fixBlock = (block: unknown): unknown => {
    if (typeof block !== 'object' || block === null) return block;
    const b = block as Item;
    if (b['type'] === 'resource_link' && typeof b['uri'] === 'string') {
      changed = true;
      return { ...b, uri: toPublic(b['uri']) };
    }
    if (b['type'] === 'resource' && typeof b['resource'] === 'object' && b['resource'] !== null) {
      const r = b['resource'] as Item;
      if (typeof r['uri'] === 'string') {
        changed = true;
        return { ...b, resource: { ...r, uri: toPublic(r['uri']) } };
      }
    }
    return block;
  };
  const out: Item = { ...result };
  if (Array.isArray(result['content'])) out['content'] = result['content'].map(fixBlock);
  if (Array.isArray(result['messages']))
    out['messages'] = result['messages'].map((m: unknown) => {
      if (typeof m !== 'object' || m === null) return m;
      const msg = m as Item;
      return Array.isArray(msg['content'])
        ? { ...msg, content: msg['content'].map(fixBlock) }
        : { ...msg, content: fixBlock(msg['content']) };
    });
  if (Array.isArray(result['contents']))
    out['contents'] = result['contents'].map((c: unknown) => {
      if (typeof c !== 'object' || c === null || typeof (c as Item)['uri'] !== 'string') return c;
      changed = true;
      return { ...(c as Item), uri: toPublic((c as Item)['uri'] as string) };
    });
  return changed ? (out as T) : result;
};
