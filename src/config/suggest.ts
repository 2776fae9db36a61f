import { toJsonSchema } from './schema.js';

// "did you mean" for an unknown config key: the allowed key at the same place in the published JSON
// Schema that is nearest to it (`tool` → `tools`, `comand` → `command`, `writeable` → `writable`).

interface SchemaNode {
  readonly properties?: Record<string, SchemaNode>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
  readonly oneOf?: readonly SchemaNode[];
  readonly allOf?: readonly SchemaNode[];
}

/** A node and every branch of its unions (a server is stdio, image or HTTP). */
const branches = (node: SchemaNode): SchemaNode[] => [
  node,
  ...[...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])].flatMap(branches),
];

const child = (node: SchemaNode, key: PropertyKey): SchemaNode[] => {
  if (typeof key === 'number') return node.items ? [node.items] : [];
  const property = node.properties?.[String(key)];
  if (property) return [property];
  return typeof node.additionalProperties === 'object' ? [node.additionalProperties] : [];
};

/** The keys the schema allows in the object at `path`. */
const keysAt = (root: SchemaNode, path: readonly PropertyKey[]): string[] => {
  let nodes = [root];
  for (const key of path) nodes = nodes.flatMap(branches).flatMap((n) => child(n, key));
  return [...new Set(nodes.flatMap(branches).flatMap((n) => Object.keys(n.properties ?? {})))];
};

/** Levenshtein distance, case-insensitive. */
const distance = (a: string, b: string): number => {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++)
      next[j] = Math.min(
        (row[j] ?? 0) + 1,
        (next[j - 1] ?? 0) + 1,
        (row[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    row = next;
  }
  return row[y.length] ?? 0;
};

let schema: SchemaNode | undefined;

/** The allowed key at `path` nearest to the unknown `key`, when one is close enough to be a typo. */
export const nearestKey = (key: string, path: readonly PropertyKey[]): string | undefined => {
  schema ??= toJsonSchema() as SchemaNode;
  const limit = key.length < 6 ? 1 : 2;
  let best: { key: string; d: number } | undefined;
  for (const candidate of keysAt(schema, path)) {
    const d = distance(key, candidate);
    if (d <= limit && (best === undefined || d < best.d)) best = { key: candidate, d };
  }
  return best?.key;
};
