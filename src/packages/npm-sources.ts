/**
 * Whether an npm dependency tree comes from the registry alone. A registry package may declare a
 * dependency on a local path (`file:/home/me/x`, linked into the store entry as a symlink out of it),
 * a git repository or a tarball URL: code outside the integrity chain, that the store's tree hash
 * covers only by the link or not at all, and that may change after the lock. Such a tree is refused
 * before anything is installed (PKG-17). Pure.
 */
import npa from 'npm-package-arg';

/** The members of an Arborist tree node this check reads. */
export interface SourceNode {
  readonly name: string;
  readonly isLink: boolean;
  readonly resolved: string | null;
  readonly integrity: string | null;
  readonly edgesOut: ReadonlyMap<string, { readonly spec: string }>;
}

/** npm-package-arg's types of a spec the registry serves: a version, range, dist-tag or `npm:` alias. */
const REGISTRY_TYPES: ReadonlySet<string> = new Set(['version', 'range', 'tag', 'alias']);

/** Whether `spec` (a dependency of `name`) is a registry one, read by npm's own spec parser. */
const isRegistrySpec = (name: string, spec: string): boolean => {
  try {
    return REGISTRY_TYPES.has(npa.resolve(name, spec).type);
  } catch {
    return false; // npm could not read it either: not a registry spec
  }
};

/** The first dependency of `nodes` (every node of the tree but its root) that is not a registry package, named. */
export const nonRegistrySource = (nodes: Iterable<SourceNode>): string | undefined => {
  for (const node of nodes) {
    if (node.isLink) return `${node.name} (a link to ${node.resolved ?? 'a local folder'})`;
    if (node.integrity === null || !/^https?:\/\//.test(node.resolved ?? ''))
      return `${node.name} (from ${node.resolved ?? 'nowhere the registry names'})`;
    for (const [name, edge] of node.edgesOut)
      if (!isRegistrySpec(name, edge.spec))
        return `${name}@${edge.spec} (required by ${node.name})`;
  }
  return undefined;
};
