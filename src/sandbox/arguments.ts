import { lstatSync, realpathSync } from 'node:fs';
import { dirname, parse, resolve, sep } from 'node:path';
import { SandboxError } from '../errors.js';

/**
 * Path arguments of a server and what they resolve to. A server can replace anything in its
 * writable folders with a symlink; binds derived from such a path would let it choose what the next
 * sandbox sees (a host secret's folder) or make bwrap fail, so these helpers tell which arguments
 * a server can steer and whether an argument still resolves where it did at `toolgate lock`.
 */

/** Arguments that can name host paths (not options, not empty), resolved against the server's cwd. */
export const argumentPaths = (
  args: readonly string[],
  cwd: string,
): Array<{ arg: string; path: string }> =>
  args
    .filter((arg) => arg.length > 0 && !arg.startsWith('-'))
    .map((arg) => ({ arg, path: resolve(cwd, arg) }));

/** The real path, or undefined when nothing (or a dangling link) is there. */
export const realOf = (path: string): string | undefined => {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
};

export const isInside = (path: string, dirs: readonly string[]): boolean =>
  dirs.some((dir) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep));

/** Each prefix of `path` (itself included) that is a symlink. */
const traversedLinks = (path: string): string[] => {
  const links: string[] = [];
  const { root } = parse(path);
  let prefix = root;
  for (const part of path.slice(root.length).split(sep).filter(Boolean)) {
    prefix = prefix === root ? root + part : prefix + sep + part;
    try {
      if (lstatSync(prefix).isSymbolicLink()) links.push(prefix);
    } catch {
      break;
    }
  }
  return links;
};

/** The writable binds as given and as resolved: the places whose contents the server decides. */
export const writableRoots = (writable: readonly string[]): string[] =>
  writable.flatMap((path) => {
    const real = realOf(path);
    return real === undefined || real === path ? [path] : [path, real];
  });

/** True when the server could have planted `path`, its target, or a link it goes through. */
export const isServerSteerable = (path: string, roots: readonly string[]): boolean => {
  if (isInside(path, roots)) return true;
  const real = realOf(path);
  if (real !== undefined && isInside(real, roots)) return true;
  return traversedLinks(path).some((link) =>
    isInside(realOf(dirname(link)) ?? dirname(link), roots),
  );
};

/**
 * What `toolgate lock` records: each argument naming an existing path, with the real path it
 * resolved to then. The gateway refuses a start where one resolves elsewhere.
 * @example pinArguments(['server.js', '--port', '3000'], '/srv/app') // { 'server.js': '/srv/app/server.js' }
 */
export const pinArguments = (args: readonly string[], cwd: string): Record<string, string> => {
  const pins: Record<string, string> = {};
  for (const { arg, path } of argumentPaths(args, cwd)) {
    const real = realOf(path);
    if (real !== undefined) pins[arg] = real;
  }
  return pins;
};

/**
 * Before each start with a lock: every argument that names a path now must resolve to the real
 * path pinned at lock, and one that named nothing then must not now go through a symlink (one
 * created since, e.g. by the server in its writable folder).
 */
export const assertArgumentsPinned = (
  id: string,
  args: readonly string[],
  cwd: string,
  pins: Readonly<Record<string, string>>,
): void => {
  for (const { arg, path } of argumentPaths(args, cwd)) {
    const real = realOf(path);
    if (real === undefined) continue;
    const pinned = Object.hasOwn(pins, arg) ? pins[arg] : undefined;
    if (pinned === real) continue;
    if (pinned === undefined && traversedLinks(path).length === 0) continue;
    // The new target is left out of the message: it reaches the agent, and the server chose it.
    const was =
      pinned === undefined
        ? 'named nothing at lock and now goes through a symlink'
        : `resolves elsewhere than at lock (${pinned})`;
    throw new SandboxError(
      'SANDBOX_ARGUMENT_CHANGED',
      `server "${id}": argument ${arg} ${was}; nothing is bound from it and the server is not started. Review the path, then re-run toolgate lock`,
    );
  }
};
