/**
 * npm's semver ranges as advisories write them in `vulnerable_versions` (`<1.2.3`, `>=1.0.0 <1.4.1`,
 * `1.0.0 - 1.2.0`, `1.2.x`, `^1.2.0`, `~1.2.0`, `*`, joined by `||`), read by npm's own `semver`.
 * Pre-release versions are not fenced off (`includePrerelease`), which can only widen a match. Pure.
 */
import semver from 'semver';

const OPTIONS = { includePrerelease: true } as const;

/**
 * Whether `version` is in `range`: true, false, or undefined when the range (or the version) cannot
 * be read, which the caller treats as affected, never as safe. Each `||` set is read on its own: one
 * unreadable set leaves the answer unknown unless another set matches.
 */
export const inNpmRange = (version: string, range: string): boolean | undefined => {
  if (semver.valid(version) === null) return undefined;
  let readable = true;
  for (const set of range.split('||')) {
    if (semver.validRange(set, OPTIONS) === null) readable = false;
    else if (semver.satisfies(version, set, OPTIONS)) return true;
  }
  return readable ? false : undefined;
};
