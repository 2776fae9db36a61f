/**
 * npm's semver ranges as advisories write them in `vulnerable_versions` (`<1.2.3`, `>=1.0.0 <1.4.1`,
 * `1.0.0 - 1.2.0`, `1.2.x`, `^1.2.0`, `~1.2.0`, `*`, joined by `||`). Pure. Versions are compared in
 * semver order; pre-release versions are not fenced off the way node-semver does, which can only
 * widen a match.
 */
import { compareSemver, parseSemver, type SemVer } from '../packages/osv.js';

type Comparator = { op: '<' | '<=' | '>' | '>=' | '='; at: SemVer };

const at = (nums: [number, number, number], pre: string[] = []): SemVer => ({ nums, pre });
/** The lowest pre-release of a version: `<1.3.0-0` excludes every 1.3.0 pre-release too. */
const floor = (nums: [number, number, number]): SemVer => at(nums, ['0']);

/** A partial version (`1`, `1.2`, `1.2.x`, `*`) as the bounds it stands for; undefined if not one. */
const partial = (text: string): Comparator[] | undefined => {
  const parts = text.replace(/^v/, '').split('.');
  if (parts.length > 3) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    if (/^[xX*]$/.test(p)) break;
    if (!/^\d+$/.test(p)) return undefined;
    nums.push(Number(p));
  }
  if (nums.length === 0) return [];
  const [major = 0, minor = 0] = nums;
  if (nums.length === 1)
    return [
      { op: '>=', at: at([major, 0, 0]) },
      { op: '<', at: floor([major + 1, 0, 0]) },
    ];
  return [
    { op: '>=', at: at([major, minor, 0]) },
    { op: '<', at: floor([major, minor + 1, 0]) },
  ];
};

/** `^1.2.3` and `~1.2.3`: from the version up to the next major (minor for 0.x) or minor. */
const caretOrTilde = (op: '^' | '~', v: SemVer): Comparator[] => {
  const [major, minor, patch] = v.nums;
  const upper: [number, number, number] =
    op === '~' || major === 0
      ? major === 0 && minor === 0 && op === '^'
        ? [0, 0, patch + 1]
        : [major, minor + 1, 0]
      : [major + 1, 0, 0];
  return [
    { op: '>=', at: v },
    { op: '<', at: floor(upper) },
  ];
};

/** One comparator token (`>=1.2.3`, `^1.2.3`, `1.2.x`); undefined when it is not one. */
const comparator = (token: string): Comparator[] | undefined => {
  const m = /^(<=|>=|<|>|=|\^|~)?\s*(.+)$/.exec(token);
  if (!m) return undefined;
  const op = (m[1] ?? '=') as Comparator['op'] | '^' | '~';
  const v = parseSemver(m[2] as string);
  if (v === undefined) return op === '=' ? partial(m[2] as string) : undefined;
  if (op === '^' || op === '~') return caretOrTilde(op, v);
  return [{ op, at: v }];
};

const holds = (version: SemVer, c: Comparator): boolean => {
  const cmp = compareSemver(version, c.at);
  return c.op === '<'
    ? cmp < 0
    : c.op === '<='
      ? cmp <= 0
      : c.op === '>'
        ? cmp > 0
        : c.op === '>='
          ? cmp >= 0
          : cmp === 0;
};

/**
 * Whether `version` is in `range`: true, false, or undefined when the range (or the version) cannot
 * be read, which the caller treats as affected, never as safe.
 */
export const inNpmRange = (version: string, range: string): boolean | undefined => {
  const v = parseSemver(version);
  if (v === undefined) return undefined;
  let readable = true;
  for (const set of range.split('||')) {
    const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(set);
    const tokens = hyphen
      ? [`>=${hyphen[1] as string}`, `<=${hyphen[2] as string}`]
      : set
          .trim()
          .replace(/(<=|>=|<|>|=|\^|~)\s+/g, '$1')
          .split(/\s+/)
          .filter(Boolean);
    const comparators = tokens.map(comparator);
    if (comparators.some((c) => c === undefined)) {
      readable = false;
      continue;
    }
    if ((comparators as Comparator[][]).flat().every((c) => holds(v, c))) return true;
  }
  return readable ? false : undefined;
};
