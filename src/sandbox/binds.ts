import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { SandboxConfig, StdioServerConfig } from '../config/schema.js';
import { SandboxError } from '../errors.js';
import { argumentPaths, isInside, isServerSteerable, realOf, writableRoots } from './arguments.js';

// The host paths a sandboxed server is given: its configured binds (checked), and those derived from
// its command and arguments (its runtime, its package, its file arguments).

const SCRIPT = /\.[cm]?[jt]s$/;

const isSystemPath = (path: string): boolean => path === '/usr' || path.startsWith('/usr/');

/** Host paths a script needs: its package (or its top-level folder and package.json) and every node_modules node may resolve from. */
const packagePaths = (file: string): string[] => {
  const out: string[] = [];
  const dirs: string[] = [];
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === dirname(dir)) break;
  }
  for (const dir of dirs)
    if (existsSync(join(dir, 'node_modules'))) out.push(join(dir, 'node_modules'));
  const root = dirs.find((dir) => existsSync(join(dir, 'package.json')));
  if (root === undefined) out.push(dirname(file));
  else if (root.split(sep).includes('node_modules')) out.push(root);
  else {
    out.push(join(root, 'package.json'));
    const top = file.slice(root.length + 1).split(sep)[0];
    out.push(top ? join(root, top) : root);
  }
  return out.filter((p) => !isSystemPath(p));
};

/** The runtime of an executable outside /usr (e.g. ~/.nvm/…/bin/node): its install prefix. */
export const runtimePaths = (executable: string): string[] => {
  if (isSystemPath(executable)) return [];
  const bin = dirname(executable);
  return bin.endsWith('/bin') ? [dirname(bin)] : [bin];
};

/**
 * The configured binds, resolved against the server's cwd and checked: each must exist, and none may
 * lie inside another writable one (bwrap follows a bind's source if it is a symlink, so such a bind
 * is one the server could point anywhere on the host before its next start).
 */
export const configuredBinds = (
  id: string,
  configured: SandboxConfig,
  cwd: string,
  extraWritable: readonly string[],
): SandboxConfig => {
  const sandbox = {
    ...configured,
    readOnly: configured.readOnly.map((p) => resolve(cwd, p)),
    writable: [...configured.writable.map((p) => resolve(cwd, p)), ...extraWritable],
  };
  for (const path of [...sandbox.readOnly, ...sandbox.writable])
    if (!existsSync(path))
      throw new SandboxError(
        'SANDBOX_UNAVAILABLE',
        `server "${id}": sandbox path ${path} does not exist (create it, or fix sandbox.readOnly/writable)`,
      );
  for (const path of [...sandbox.readOnly, ...sandbox.writable]) {
    const others = writableRoots(sandbox.writable.filter((w) => w !== path));
    if (isServerSteerable(path, others))
      throw new SandboxError(
        'SANDBOX_BIND_WRITABLE',
        `server "${id}": sandbox path ${path} lies in (or goes through) another writable path of the server, which could replace it with a symlink; bind the outer folder only`,
      );
  }
  return sandbox;
};

/**
 * Binds derived from the command and its arguments. The first file argument is the entry (the
 * script an interpreter runs): its package is bound, as for a later script (`node --import
 * ./hooks.mjs server.js`). Every other file argument (data) is bound as that file alone, at the path
 * the server opens, so its neighbours stay invisible. Nothing inside a writable bind is derived.
 */
export const derivedBinds = (
  server: StdioServerConfig,
  command: string,
  cwd: string,
  roots: readonly string[],
): { readOnly: string[]; files: Array<readonly [string, string]> } => {
  const derived = [
    ...runtimePaths(command),
    ...(isSystemPath(command) ? [] : packagePaths(command)),
  ];
  const files: Array<readonly [string, string]> = [];
  let entry = true;
  for (const { path } of argumentPaths(server.args, cwd)) {
    const real = realOf(path);
    if (real === undefined || !statSync(real).isFile()) continue;
    const first = entry;
    entry = false;
    // Never derived from what the server can write: such a file is reachable through its writable
    // bind (a link it planted there points into the sandbox's view, where the host target is absent).
    if (isServerSteerable(path, roots)) continue;
    // The server opens the path as given: through an admin's symlink (a `current` release link, a
    // linked node_modules) its package must be there too, not only at the real path.
    if (first || SCRIPT.test(real))
      derived.push(...packagePaths(real), ...(path === real ? [] : packagePaths(path)));
    else files.push([real, path]);
  }
  if (server.cwd !== undefined) derived.push(cwd);
  const readOnly = derived.filter(
    (path) => !isInside(path, roots) && !isInside(realOf(path) ?? path, roots),
  );
  return { readOnly, files };
};
