import { createHash, hash } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 §2.1 Merkle tree hashing over SHA-256: leaves are hashed with a 0x00 prefix and
 * interior nodes with 0x01, so a leaf can never pass for a node (second-preimage protection).
 */
export type Hash = Buffer;

// One-shot `crypto.hash` (Node ≥ 20.12), not a createHash object per node: the log hashes O(log n)
// nodes per entry, twice per call, and an object per node is work and garbage on every call.
const LEAF_PREFIX = Buffer.of(0);
export const hashLeaf = (data: Uint8Array): Hash =>
  hash('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer');
const node = Buffer.alloc(65, 1);
const hashChildren = (left: Hash, right: Hash): Hash => {
  if (left.length !== 32 || right.length !== 32)
    return createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest();
  left.copy(node, 1);
  right.copy(node, 33);
  return hash('sha256', node, 'buffer');
};
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** Largest power of two strictly below n (n ≥ 2): the size of the left subtree. */
const split = (n: number): number => 2 ** Math.floor(Math.log2(n - 1));

/** MTH(D[n]) over leaf hashes. */
export const rootOf = (leaves: readonly Hash[], from = 0, to = leaves.length): Hash => {
  const n = to - from;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[from] as Hash;
  const k = split(n);
  return hashChildren(rootOf(leaves, from, from + k), rootOf(leaves, from + k, to));
};

/** PATH(m, D[n]): the inclusion proof of leaf `index` in the tree of the first `size` leaves. */
export const inclusionProof = (
  leaves: readonly Hash[],
  index: number,
  size = leaves.length,
): Hash[] => {
  if (!(index >= 0 && index < size && size <= leaves.length))
    throw new RangeError(`no leaf ${index} in a tree of ${size}`);
  const path = (m: number, from: number, to: number): Hash[] => {
    const n = to - from;
    if (n === 1) return [];
    const k = split(n);
    return m < k
      ? [...path(m, from, from + k), rootOf(leaves, from + k, to)]
      : [...path(m - k, from + k, to), rootOf(leaves, from, from + k)];
  };
  return path(index, 0, size);
};

/** PROOF(m, D[n]): the consistency proof between the trees of the first `m` and `n` leaves. */
export const consistencyProof = (leaves: readonly Hash[], m: number, n = leaves.length): Hash[] => {
  if (!(m >= 0 && m <= n && n <= leaves.length))
    throw new RangeError(`no consistency proof from ${m} to ${n}`);
  if (m === 0 || m === n) return [];
  const sub = (m2: number, from: number, to: number, complete: boolean): Hash[] => {
    const n2 = to - from;
    if (m2 === n2) return complete ? [] : [rootOf(leaves, from, to)];
    const k = split(n2);
    return m2 <= k
      ? [...sub(m2, from, from + k, complete), rootOf(leaves, from + k, to)]
      : [...sub(m2 - k, from + k, to, false), rootOf(leaves, from, from + k)];
  };
  return sub(m, 0, n, true);
};

/** RFC 9162 §2.1.3.2: recomputes the root from an inclusion proof; true if it equals `root`. */
export const verifyInclusion = (
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): boolean => {
  if (!(index >= 0 && index < size) || leaf.length !== 32) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== 32 || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else r = hashChildren(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
};

/** RFC 9162 §2.1.4.2: checks that the tree (size2, root2) extends the tree (size1, root1). */
export const verifyConsistency = (
  size1: number,
  size2: number,
  proof: readonly Hash[],
  root1: Hash,
  root2: Hash,
): boolean => {
  if (size1 < 0 || size2 < size1) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0 || proof.some((p) => p.length !== 32)) return false;
  const path = Number.isInteger(Math.log2(size1)) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Hash;
  let sr = path[0] as Hash;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else sr = hashChildren(sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
};

/**
 * The right edge of a growing tree (the RFC 6962 compact range: its perfect subtrees, largest first):
 * an append merges about one pair of nodes on average, and the root folds the edge, one hash per
 * subtree, so the log never re-reads old leaves. The audit log takes the root after every append (each
 * entry records the tree head before it; `AuditLog.settle` does it once the entry's message has left).
 * Nodes are kept as 32-char binary (latin1) strings, one char per byte, and each node is hashed from
 * one reused 65-byte buffer: `crypto.hash` returning a string makes no Buffer object per node, and
 * the root is folded after every append.
 */
export class CompactRange {
  private readonly nodes: string[] = [];
  private readonly scratch = Buffer.alloc(65, 1);
  size = 0;

  /**
   * A range resumed from its stored right edge (`edge()`): what a shared log keeps beside its entries,
   * so a replica appends to the tree without reading every leaf. Throws if the edge cannot be of that size.
   */
  static fromEdge(size: number, edge: readonly string[]): CompactRange {
    let ones = 0;
    for (let n = size; n > 0; n = Math.floor(n / 2)) ones += n % 2;
    if (!Number.isSafeInteger(size) || size < 0 || edge.length !== ones)
      throw new RangeError(
        `a tree of ${size} leaves has ${ones} perfect subtrees, not ${edge.length}`,
      );
    const range = new CompactRange();
    for (const node of edge) {
      if (!/^[0-9a-f]{64}$/.test(node)) throw new RangeError('an edge node is 32 bytes of hex');
      range.nodes.push(Buffer.from(node, 'hex').toString('binary'));
    }
    range.size = size;
    return range;
  }

  /** The right edge in hex, largest subtree first (what `fromEdge` takes back). */
  edge(): string[] {
    return this.nodes.map((node) => Buffer.from(node, 'binary').toString('hex'));
  }

  append(leaf: Hash): void {
    if (leaf.length !== 32) throw new RangeError('a leaf hash is 32 bytes');
    this.push(leaf.toString('binary'));
  }

  /** Appends the leaf of one stored entry body: SHA-256 of 0x00 and its UTF-8 bytes (RFC 6962 §2.1). */
  appendBody(body: string): void {
    this.push(hash('sha256', '\u0000' + body, 'binary'));
  }

  root(): Hash {
    return Buffer.from(this.fold('binary'), 'binary');
  }

  /** The root in hex, as entries record it (`prev`). */
  rootHex(): string {
    return this.fold('hex');
  }

  private push(leaf: string): void {
    let node = leaf;
    // Each trailing 1 bit of the old size is a perfect subtree of the same size as the one rising.
    for (let n = this.size; n % 2 === 1; n = (n - 1) / 2)
      node = this.children(this.nodes.pop() as string, node, 'binary');
    this.nodes.push(node);
    this.size++;
  }

  private fold(encoding: 'binary' | 'hex'): string {
    const last = this.nodes.length - 1;
    if (last < 0) return EMPTY_ROOT.toString(encoding);
    if (last === 0)
      return encoding === 'binary'
        ? (this.nodes[0] as string)
        : Buffer.from(this.nodes[0] as string, 'binary').toString('hex');
    let acc = this.nodes[last] as string;
    for (let i = last - 1; i > 0; i--) acc = this.children(this.nodes[i] as string, acc, 'binary');
    return this.children(this.nodes[0] as string, acc, encoding);
  }

  private children(left: string, right: string, encoding: 'binary' | 'hex'): string {
    this.scratch.write(left, 1, 32, 'binary');
    this.scratch.write(right, 33, 32, 'binary');
    return hash('sha256', this.scratch, encoding);
  }
}
