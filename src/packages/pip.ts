import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PackageError } from '../errors.js';

/**
 * The Python side of the package store: finding an interpreter the sandbox's uid can run, and
 * driving its pip to resolve a package's tree (`--dry-run --report`) and to install pinned wheels
 * (`--require-hashes --no-deps`). pip is the field's own tool: it honours pip.conf, PIP_* variables,
 * proxies and certificates as the user's pip does. Wheels only (`--only-binary=:all:`): building an
 * sdist runs its code, at lock time, as the user.
 */

/** A Python that installs and runs store servers: its real path and `major.minor`. */
export interface PythonRuntime {
  readonly path: string;
  readonly version: string;
}

const DEFAULT_PYTHONS = ['/usr/bin/python3', '/usr/local/bin/python3'];

/** Whether every folder above `path` is passable, and the file executable, by other users (the sandbox's uid). */
const othersReach = async (path: string): Promise<boolean> => {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) break;
  }
  return ((await stat(path)).mode & 0o001) !== 0;
};

const run = (
  file: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, PIP_NO_INPUT: '1' },
      },
      (error, stdout, stderr) =>
        done({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        }),
    );
  });

/**
 * The configured interpreter (`lock.python`), else the first default one the sandbox's uid can reach
 * that has pip; undefined when there is none (the uvx server then keeps its refusal).
 */
export const findPython = async (configured?: string): Promise<PythonRuntime | undefined> => {
  for (const candidate of configured === undefined ? DEFAULT_PYTHONS : [configured]) {
    const path = await realpath(candidate).catch(() => undefined);
    if (path === undefined) continue;
    const usable = await access(path, constants.X_OK).then(
      () => othersReach(path),
      () => false,
    );
    if (!usable) continue;
    const probe = await run(
      path,
      ['-c', 'import sys, pip; print("%d.%d" % sys.version_info[:2])'],
      30_000,
    );
    if (probe.code === 0) return { path, version: probe.stdout.trim() };
  }
  return undefined;
};

/**
 * Whether `path` (a lock's `python`) is an interpreter lock itself would pick: the real path of
 * `lock.python` when set, else of a default one. The lock is reviewed text that can arrive in a pull
 * request; which binary runs a server is the config's choice, never the lock's alone (PKG-15).
 */
export const isLockPython = async (path: string, configured?: string): Promise<boolean> => {
  for (const candidate of configured === undefined ? DEFAULT_PYTHONS : [configured])
    if ((await realpath(candidate).catch(() => undefined)) === path) return true;
  return false;
};

const PIP = ['-m', 'pip', '--disable-pip-version-check', '--no-cache-dir', '--quiet'];
const indexArgs = (index: string | undefined) =>
  index === undefined ? [] : ['--index-url', index];
const lastLines = (text: string) => text.trim().split('\n').slice(-6).join('\n');

/** One resolved distribution: its file name on the index and the SHA-256 the index gives for it. */
export interface PinnedDistribution {
  readonly name: string;
  readonly version: string;
  readonly file: string;
  readonly sha256: string;
}

const WHEEL = /^[A-Za-z0-9_.]+-[A-Za-z0-9_.!+]+(-[A-Za-z0-9_.]+){3,4}\.whl$/;

interface Report {
  install?: Array<{
    metadata?: { name?: string; version?: string };
    download_info?: { url?: string; archive_info?: { hashes?: { sha256?: string } } };
  }>;
}

/**
 * The whole dependency tree of `name==version` for this interpreter, as pip resolves it from the
 * index, wheels only: each distribution's file and SHA-256. Nothing is installed. A failure to
 * resolve returns pip's own words for the caller to explain.
 */
export const resolveTree = async (
  python: PythonRuntime,
  request: { name: string; version: string; index: string | undefined },
): Promise<{ ok: true; tree: PinnedDistribution[] } | { ok: false; pip: string }> => {
  const { code, stdout, stderr } = await run(
    python.path,
    [
      ...PIP,
      'install',
      '--dry-run',
      '--ignore-installed',
      '--only-binary=:all:',
      '--report',
      '-',
      ...indexArgs(request.index),
      `${request.name}==${request.version}`,
    ],
    600_000,
  );
  if (code !== 0) return { ok: false, pip: lastLines(stderr) };
  // untrusted: pip's report carries what the index served.
  const report = JSON.parse(stdout) as Report;
  const tree: PinnedDistribution[] = [];
  for (const item of report.install ?? []) {
    const url = item.download_info?.url ?? '';
    const sha256 = item.download_info?.archive_info?.hashes?.sha256;
    const file = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    // The file name goes into a requirements line: only a well-formed wheel name (PEP 427) passes.
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !WHEEL.test(file))
      throw new PackageError(
        'PACKAGE_INSTALL_FAILED',
        `${request.name}==${request.version}: the index gives no wheel with a sha256 for ${item.metadata?.name ?? url}`,
      );
    tree.push({
      name: item.metadata?.name ?? '',
      version: item.metadata?.version ?? '',
      file,
      sha256,
    });
  }
  return { ok: true, tree: tree.sort((a, b) => (a.file < b.file ? -1 : 1)) };
};

/**
 * Installs exactly the pinned wheels into `target` (`--no-deps --require-hashes`: pip refuses any
 * file whose SHA-256 is not the pinned one), without byte-compiling (the entry stays reproducible).
 */
export const installPinned = async (
  python: PythonRuntime,
  requirements: string,
  target: string,
  index: string | undefined,
): Promise<void> => {
  const { code, stderr } = await run(
    python.path,
    [
      ...PIP,
      'install',
      '--target',
      target,
      '--no-deps',
      '--require-hashes',
      '--only-binary=:all:',
      '--no-compile',
      ...indexArgs(index),
      '-r',
      requirements,
    ],
    600_000,
  );
  if (code === 0) return;
  const mismatch = /THESE PACKAGES DO NOT MATCH THE HASHES/.test(stderr);
  throw new PackageError(
    mismatch ? 'PACKAGE_TAMPERED' : 'PACKAGE_INSTALL_FAILED',
    `pip could not install the pinned wheels${mismatch ? ' (the index serves other files than the lock resolved)' : ''}: ${lastLines(stderr)}`,
  );
};
