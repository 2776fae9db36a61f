import { createHash } from 'node:crypto';
import { toCanonicalJson } from '../core/canonical-json.js';

/** The four definition lists a lock pins, with the field that names each item. */
export const ITEM_KINDS = {
  tools: { method: 'tools/list', field: 'tools', key: 'name' },
  prompts: { method: 'prompts/list', field: 'prompts', key: 'name' },
  resources: { method: 'resources/list', field: 'resources', key: 'uri' },
  resourceTemplates: {
    method: 'resources/templates/list',
    field: 'resourceTemplates',
    key: 'uriTemplate',
  },
} as const;
export type ItemKind = keyof typeof ITEM_KINDS;
export const ITEM_KIND_NAMES = Object.keys(ITEM_KINDS) as ItemKind[];

export const kindOfListMethod = (method: string): ItemKind | undefined =>
  ITEM_KIND_NAMES.find((kind) => ITEM_KINDS[kind].method === method);

/**
 * SHA-256 (hex) over the canonical JSON of the WHOLE item: name, title, description, schemas,
 * annotations and `_meta` alike. Hashing only some fields is how rug pulls hide (an annotation or an
 * outputSchema swap); a field we do not know today is still covered.
 * @example
 * hashItem({ name: 'echo', description: 'Echoes' }) // 'c0ffee…'
 */
export const hashItem = (item: unknown): string =>
  createHash('sha256').update(toCanonicalJson(item), 'utf8').digest('hex');

/** The name an item is locked under (`name`, `uri` or `uriTemplate`), if it has a usable one. */
export const itemKey = (kind: ItemKind, item: Record<string, unknown>): string | undefined => {
  // untrusted: an item from a server may lack its key or carry a non-string one.
  const key = item[ITEM_KINDS[kind].key];
  return typeof key === 'string' && key.length > 0 ? key : undefined;
};
