/**
 * PEP 440 versions, parsed and ordered as pip orders them, to match exact pinned versions of Python
 * packages against OSV `ECOSYSTEM` ranges. Pure. Accepts the spec's normalizations (case, `alpha`/
 * `beta`/`c`/`pre`/`preview`, `rev`/`r`, separators, implicit numbers, a leading `v`).
 */

export interface Pep440 {
  readonly epoch: number;
  readonly release: readonly number[];
  /** `a` < `b` < `rc`, each with its number. */
  readonly pre?: readonly [0 | 1 | 2, number];
  readonly post?: number;
  readonly dev?: number;
  readonly local: readonly (number | string)[];
}

const VERSION =
  /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/;

const PRE: Record<string, 0 | 1 | 2> = {
  a: 0,
  alpha: 0,
  b: 1,
  beta: 1,
  c: 2,
  rc: 2,
  pre: 2,
  preview: 2,
};

/** A PEP 440 version, or `undefined` for a string that is not one (a legacy version). */
export const parsePep440 = (text: string): Pep440 | undefined => {
  const m = VERSION.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  const [, epoch, release = '', preL, preN, postImplicit, postL, postN, devN, local] = m;
  return {
    epoch: Number(epoch ?? 0),
    release: release.split('.').map(Number),
    ...(preL !== undefined && { pre: [PRE[preL] ?? 0, Number(preN || 0)] as const }),
    ...(postImplicit !== undefined && { post: Number(postImplicit) }),
    ...(postL !== undefined && { post: Number(postN || 0) }),
    ...(devN !== undefined && { dev: Number(devN || 0) }),
    local:
      local === undefined ? [] : local.split(/[-_.]/).map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
  };
};

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const compareNums = (a: readonly number[], b: readonly number[]): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0); // trailing zeros do not count: 1.0 == 1.0.0
    if (d !== 0) return sign(d);
  }
  return 0;
};

/**
 * The spec's sort keys: a dev release of a final sorts before its pre-releases; no pre-release sorts
 * after any; no post-release before any; no dev-release after any.
 */
const preKey = (v: Pep440): number[] =>
  v.pre ? [...v.pre] : v.post === undefined && v.dev !== undefined ? [-1] : [3];
const postKey = (v: Pep440): number => v.post ?? -1;
const devKey = (v: Pep440): number => v.dev ?? Infinity;

/** Local labels: none sorts first; numeric segments after alphanumeric ones; a longer label after its prefix. */
const compareLocal = (a: Pep440['local'], b: Pep440['local']): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (typeof x !== typeof y) return typeof x === 'number' ? 1 : -1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

/** PEP 440 order: negative when `a` precedes `b`, 0 when they are the same version. */
export const comparePep440 = (a: Pep440, b: Pep440): number =>
  sign(a.epoch - b.epoch) ||
  compareNums(a.release, b.release) ||
  compareNums(preKey(a), preKey(b)) ||
  sign(postKey(a) - postKey(b)) ||
  (devKey(a) === devKey(b) ? 0 : devKey(a) < devKey(b) ? -1 : 1) ||
  compareLocal(a.local, b.local);
