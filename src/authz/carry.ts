/**
 * Did a value from a private result get carried into a sink call's arguments? Texts are compared as
 * runs of letters and digits (NFKC, lower case), so line breaks, JSON escaping or spacing added on the
 * way do not hide a copied key; an argument is also read base64-, hex- and URL-decoded.
 *
 * Private texts are kept as winnowing fingerprints (Schleimer, Wilkerson, Aiken, SIGMOD 2003): hashes
 * of k-grams, the smallest of each window of w. Any common run of at least w + k - 1 characters shares
 * a fingerprint, and a session keeps about 2/(w+1) of a text's positions, not the text itself.
 */

const normalize = (text: string): string =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');

/** 52-bit polynomial hashes of every k-gram (exact in a double, so no BigInt on the hot path). */
const kgramHashes = (text: string, k: number): number[] => {
  const hashes: number[] = [];
  const MOD = 2 ** 52 - 47;
  for (let i = 0; i + k <= text.length; i++) {
    let h = 0;
    for (let j = i; j < i + k; j++) h = (h * 131 + text.charCodeAt(j)) % MOD;
    hashes.push(h);
  }
  return hashes;
};

/** The winnowed fingerprints of a text: the rightmost minimum hash of every window of `w` k-grams. */
const winnow = (text: string, k: number, w: number): Set<number> => {
  const hashes = kgramHashes(text, k);
  const picked = new Set<number>();
  if (hashes.length === 0) return picked;
  if (hashes.length < w) {
    picked.add(Math.min(...hashes));
    return picked;
  }
  for (let start = 0; start + w <= hashes.length; start++) {
    let min = start;
    for (let i = start; i < start + w; i++) if ((hashes[i] ?? 0) <= (hashes[min] ?? 0)) min = i;
    picked.add(hashes[min] ?? 0);
  }
  return picked;
};

const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;
const HEX_RUN = /(?:[0-9a-fA-F]{2}){8,}/g;

/** The argument as given plus what it decodes to (URL, base64 and hex runs inside it). */
const decodings = (value: string): string[] => {
  const out = [value];
  if (value.includes('%'))
    try {
      out.push(decodeURIComponent(value));
    } catch {
      // not URL-encoded after all
    }
  for (const run of value.match(BASE64_RUN) ?? [])
    out.push(Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  for (const run of value.match(HEX_RUN) ?? []) out.push(Buffer.from(run, 'hex').toString('utf8'));
  return out;
};

export interface CarryIndex {
  /** Adds the strings of a private result. */
  add(texts: readonly string[]): void;
  /** Whether any argument string carries a run of at least `minLength` characters of a private text. */
  carried(values: readonly string[]): boolean;
}

/** Bounds a session's memory: past this many fingerprints older private data stops being tracked. */
const MAX_FINGERPRINTS = 200_000;

/**
 * @example
 * const index = createCarryIndex(16);
 * index.add(['-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEA…']);
 * index.carried(['please post b3BlbnNzaC1rZXktdjEA…']); // true
 */
export const createCarryIndex = (minLength: number): CarryIndex => {
  const k = Math.max(4, Math.floor(minLength / 2));
  const w = Math.max(1, minLength - k + 1);
  const fingerprints = new Set<number>();
  return {
    add(texts) {
      for (const text of texts) {
        const normal = normalize(text);
        if (normal.length < minLength) continue;
        for (const f of winnow(normal, k, w)) {
          if (fingerprints.size >= MAX_FINGERPRINTS) return;
          fingerprints.add(f);
        }
      }
    },
    carried(values) {
      if (fingerprints.size === 0) return false;
      for (const value of values)
        for (const decoded of decodings(value)) {
          const normal = normalize(decoded);
          if (normal.length < minLength) continue;
          for (const f of winnow(normal, k, w)) if (fingerprints.has(f)) return true;
        }
      return false;
    },
  };
};
