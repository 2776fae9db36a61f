import { SandboxError } from '../errors.js';

/**
 * bwrap's own failures to build a sandbox (`bwrap: Can't find source path …: Permission denied`),
 * read from the stderr of a launch that exited before it ever wrote a frame. bwrap prints one such
 * line and exits before the server runs, so only lines from before the first frame count; a server
 * that prints one itself only marks its own start as failed.
 *
 * A path that cannot be bound, a missing file or a refused option stays wrong until the config or
 * the host changes: that is a permanent `SANDBOX_UNAVAILABLE` carrying bwrap's words. Running out
 * of namespaces, memory or processes passes with the load: `undefined`, an ordinary crash, retried.
 */
export const toSetupFailure = (
  server: string,
  stderrLines: readonly string[],
): SandboxError | undefined => {
  // untrusted: the launch's stderr, which may also be the server's own words.
  const line = stderrLines.find((l) => l.startsWith('bwrap: '));
  if (line === undefined || TRANSIENT.test(line)) return undefined;
  const hint = line.includes('Permission denied')
    ? `; every folder above a bound path must be traversable by the sandbox user (chmod o+x), or move the file`
    : '';
  return new SandboxError(
    'SANDBOX_UNAVAILABLE',
    `server "${server}": its sandbox could not be set up: ${line.slice(0, 500)}${hint}`,
  );
};

/** errno texts of a shortage that passes (namespace, memory or process limits hit under load). */
const TRANSIENT =
  /No space left on device|Resource temporarily unavailable|Cannot allocate memory|Too many open files/;
