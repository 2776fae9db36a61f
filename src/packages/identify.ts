import { basename, resolve, sep } from 'node:path';
import { isContainerServer, isStdioServer, type ServerConfig } from '../config/schema.js';
import { npxArguments, npxInvocation } from './npx-args.js';
import { exactPypi, pypiLaunchOf } from './python-launcher.js';

/** What runs a server, as far as its identity can be pinned. Pure: no file or network access. */
export type PackageSource =
  | {
      kind: 'npx';
      name: string;
      spec: string;
      version: string | undefined;
      unpinned: string | undefined;
    }
  | {
      kind: 'pypi';
      name: string;
      version: string;
      spec: string;
      command: string;
      /** The launcher itself, pinned as a binary when it runs unmanaged (egress granted, no usable Python). */
      launcher: string;
    }
  | { kind: 'node_modules'; name: string; installPath: string; nodeModules: string }
  | { kind: 'file'; role: 'script' | 'binary'; path: string }
  | { kind: 'image'; ref: string; publicKey: string; signature: string }
  | { kind: 'unsigned-image'; ref: string }
  | { kind: 'remote'; url: string };

const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Splits `@scope/name@1.2.3` / `name@^1` / `name` into name and version part. */
export const splitSpec = (spec: string): { name: string; version: string | undefined } => {
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  return at < 0
    ? { name: spec, version: undefined }
    : { name: spec.slice(0, at), version: spec.slice(at + 1) };
};

/**
 * Why an npm spec is not pinned to one exact registry version, or `undefined` when it is:
 * a bare name or dist-tag (`latest`) follows publishes, a range floats, and a git/URL/file spec
 * bypasses the registry's integrity altogether.
 */
export const unpinnedReason = (spec: string): string | undefined => {
  if (
    /^(git\+|git:|github:|gitlab:|bitbucket:|https?:|file:|\.|\/)/.test(spec) ||
    /^[^@][^@]*\/[^@]/.test(spec)
  )
    return `"${spec}" is a git, URL or path spec, outside the registry's integrity`;
  const { version } = splitSpec(spec);
  if (version === undefined || version === '')
    return `"${spec}" names no version (it follows every publish)`;
  if (!EXACT_VERSION.test(version))
    return `"${spec}" is a dist-tag or range, not one exact version`;
  return undefined;
};

/** The installed package directory of a script under node_modules (`…/node_modules/@s/n/dist/x.js`). */
const packageOf = (
  script: string,
): { name: string; installPath: string; nodeModules: string } | undefined => {
  const parts = script.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const scoped = parts[at + 1]?.startsWith('@');
  const nameParts = parts.slice(at + 1, at + (scoped ? 3 : 2));
  return {
    name: nameParts.join('/'),
    installPath: parts.slice(0, at + 1 + nameParts.length).join(sep),
    nodeModules: parts.slice(0, at + 1).join(sep),
  };
};

const isNode = (command: string): boolean =>
  command === process.execPath || /^node(\.exe)?$/.test(basename(command));

/**
 * Identifies what a configured server runs. `cwd` resolves relative paths the way the spawn will.
 * @example
 * identifyPackage({ command: 'npx', args: ['-y', 'pkg@1.2.3'], … }, '/srv') // { kind: 'npx', name: 'pkg', … }
 */
export const identifyPackage = (server: ServerConfig, cwd: string): PackageSource => {
  if (server.pin?.image) return { kind: 'image', ...server.pin.image };
  if (isContainerServer(server)) return { kind: 'unsigned-image', ref: server.image };
  if (!isStdioServer(server))
    return { kind: 'remote', url: 'url' in server ? String(server.url) : 'unknown' };
  const base = server.cwd !== undefined ? resolve(cwd, server.cwd) : cwd;
  const command = basename(server.command);
  const npxArgs = npxArguments(command, server.args);
  if (npxArgs !== undefined) {
    const call = npxInvocation(npxArgs);
    if (!call.ok)
      return { kind: 'npx', name: '', spec: '', version: undefined, unpinned: call.reason };
    const { name, version } = splitSpec(call.spec);
    return { kind: 'npx', name, spec: call.spec, version, unpinned: unpinnedReason(call.spec) };
  }
  // A bare name is resolved on PATH by the I/O layer (fingerprint.ts), as the spawn would.
  const binary = server.command.includes('/') ? resolve(base, server.command) : server.command;
  // uvx/pipx with one exact version is managed; any other PyPI launch stays a binary (PKG-12).
  const pypi = pypiLaunchOf(server.command, server.args);
  const release = pypi && exactPypi(pypi.spec);
  if (pypi && release)
    return { kind: 'pypi', ...release, spec: pypi.spec, command: pypi.command, launcher: binary };
  if (isNode(server.command)) {
    const script = server.args.find((a) => !a.startsWith('-'));
    if (script !== undefined) {
      const path = resolve(base, script);
      const pkg = packageOf(path);
      return pkg ? { kind: 'node_modules', ...pkg } : { kind: 'file', role: 'script', path };
    }
  }
  return { kind: 'file', role: 'binary', path: binary };
};

/** An image reference without its tag and digest: `ghcr.io/a/b:1.0@sha256:…` → `ghcr.io/a/b`. */
export const imageRepository = (ref: string): string => {
  const bare = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref;
  const colon = bare.lastIndexOf(':');
  return colon > bare.lastIndexOf('/') ? bare.slice(0, colon) : bare;
};

const digestOf = (ref: string): string | undefined =>
  ref.includes('@') ? ref.slice(ref.lastIndexOf('@') + 1) : undefined;

/**
 * The image a container server is started from under a lock: always by the locked digest
 * (`repo@sha256:…`), never by a tag, which a registry can move. Refused when the configured image
 * names another repository, or pins another digest, than the lock recorded. Pure.
 * @example
 * imageToRun('ghcr.io/a/b:1.0', { ref: 'ghcr.io/a/b@sha256:ab…', digest: 'sha256:ab…' }) // { ok: true, image: 'ghcr.io/a/b@sha256:ab…' }
 */
export const imageToRun = (
  configured: string,
  locked: { readonly ref: string; readonly digest: string },
): { ok: true; image: string } | { ok: false; message: string } => {
  const repository = imageRepository(locked.ref);
  if (imageRepository(configured) !== repository)
    return {
      ok: false,
      message: `the image ${configured} is not the locked repository ${repository}`,
    };
  const pinned = digestOf(configured);
  if (pinned !== undefined && pinned !== locked.digest)
    return {
      ok: false,
      message: `the image ${configured} pins another digest than the lock (${locked.digest})`,
    };
  return { ok: true, image: `${repository}@${locked.digest}` };
};
