/**
 * The likely fix for a server that `toolgate lock` could not lock, read from the evidence only: the
 * error's stable code, its message and the server's stderr. Each rule names what it saw (an errno, a
 * path, a host) and fires only when it saw it, so a hint never claims a cause the evidence does not show.
 * @example toLockHints({ code: 'LOCK_SERVER_EXITED', message: '…', stderr: ["EROFS: read-only file system, mkdir '/srv/x'"], sandboxed: true, startTimeoutMs: 30000 })
 * // ['the server was refused writing /srv/x (EROFS): …sandbox.writable…']
 */
export interface LockFailureEvidence {
  readonly code: string;
  readonly message: string;
  /** The server's last stderr lines, already redacted. */
  readonly stderr: readonly string[];
  /** Whether the server runs in toolgate's sandbox (a stdio server without `sandbox: false`). */
  readonly sandboxed: boolean;
  /** The server's `sandbox.writable` paths, absolute. */
  readonly writable: readonly string[];
  readonly startTimeoutMs: number;
}

type Rule = (evidence: LockFailureEvidence, text: string) => string | undefined;

// untrusted: the stderr lines come from the server; they are only matched, never executed or trusted.
const RULES = [
  function unresolvedHost(e, text) {
    if (e.code === 'PACKAGE_REGISTRY_ERROR') return undefined; // toolgate's own fetch: the next rule
    const m =
      /getaddrinfo (ENOTFOUND|EAI_AGAIN) ([\w.-]+)/.exec(text) ??
      /\b(ENOTFOUND|EAI_AGAIN)\b/.exec(text);
    if (!m) return undefined;
    const what = `could not resolve ${m[2] ?? 'a host name'} (${m[1]})`;
    return e.sandboxed
      ? `the server ${what}: the sandbox has no network except through egress.allow; if it is a package manager fetching the server, launch it as npx -y name@version (toolgate lock installs that into its package store; nothing is fetched at run time) or from a local path; if the server itself needs the host, add it to egress.allow`
      : `the server ${what}: this machine cannot resolve it; check DNS and the network, or install the package locally`;
  },
  function registryUnreachable(e) {
    if (e.code !== 'PACKAGE_REGISTRY_ERROR') return undefined;
    return "toolgate could not get the package from the registry: check the network (a proxy goes in .npmrc), the registry's token in .npmrc, or set lock.registry (or .npmrc registry=) to a reachable mirror";
  },
  function writeRefused(e, text) {
    const m = /\b(EACCES|EROFS|EPERM)\b[^'"\n]*['"](\/[^'"\n]+)['"]/.exec(text);
    const [, errno, path] = m ?? [];
    if (errno === undefined || path === undefined) return undefined;
    if (!e.sandboxed)
      return `the server was denied ${path} (${errno}): check that path's permissions for the user running toolgate`;
    if (errno === 'EROFS')
      return `the server writes to ${path}, which is read-only in its sandbox: add it (or its folder) to sandbox.writable`;
    const bound = e.writable.find(
      (w) => path === w || path.startsWith(w.endsWith('/') ? w : `${w}/`),
    );
    return bound !== undefined
      ? `the server was denied ${path} (${errno}) although ${bound} is in sandbox.writable: in the sandbox it runs as an unprivileged user, who must be allowed to write there (chown or chmod it)`
      : `the server was denied ${path} (${errno}): in its sandbox it runs as an unprivileged user; if it writes there, add the path to sandbox.writable (writable by that user); if it only reads it, make it readable by others`;
  },
  function commandNotFound(_, text) {
    const m =
      /spawn (\S+) ENOENT|"(\S+)" is not on PATH|execvp (\S+): No such file or directory/.exec(
        text,
      );
    if (!m) return undefined;
    return `the command ${m[1] ?? m[2] ?? m[3]} was not found${m[3] !== undefined ? ' inside the sandbox' : ''}: give its absolute path, or install it`;
  },
  function startTimeout(e) {
    if (e.code !== 'LOCK_SERVER_TIMEOUT') return undefined;
    return `the server did not answer initialize within ${e.startTimeoutMs} ms: if it needs longer to start, raise restart.startTimeoutMs`;
  },
  function silentExit(e) {
    if (e.code !== 'LOCK_SERVER_EXITED' || e.stderr.length > 0) return undefined;
    return 'the server exited without a word on stderr: run its command by hand to see why';
  },
  function unpinned(e) {
    if (e.code !== 'LOCK_UNPINNED') return undefined;
    return 'pin an exact version in the spec (pkg@1.2.3), or pass --allow-unpinned to resolve it once';
  },
  function tampered(e) {
    if (e.code !== 'PACKAGE_TAMPERED' || !/registry (tarball|integrity)/.test(e.message))
      return undefined;
    return "the installed copy is not the registry's: reinstall it from the registry (npm ci, or remove that npx cache entry), then lock again";
  },
  function poisoned(e) {
    if (e.code !== 'LOCK_POISONED') return undefined;
    return 'read the flagged definitions; only if they are benign, lock again with --allow-blocked';
  },
] satisfies readonly Rule[];

/** The hints whose evidence is present, in table order (often none: the message and stderr then speak for themselves). */
export const toLockHints = (evidence: LockFailureEvidence): string[] => {
  const text = [evidence.message, ...evidence.stderr].join('\n');
  return RULES.flatMap((rule) => rule(evidence, text) ?? []);
};
