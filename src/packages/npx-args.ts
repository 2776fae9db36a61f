/**
 * How an `npx` / `npm exec` command line names its package, the command it runs and that command's
 * arguments. Pure: the lock installs the package itself and the gateway starts the command from the
 * managed store, so these three parts are all it keeps of the launcher.
 */
export type NpxInvocation =
  | {
      readonly ok: true;
      /** The package spec (`pkg@1.2.3`), exactly as written. */
      readonly spec: string;
      /** The bin named with `-p pkg bin`; absent: npx's default bin of the package. */
      readonly binName: string | undefined;
      /** The arguments after the command, passed on unchanged. */
      readonly rest: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/** npx/npm exec options that take the next argument as their value (not the spec). */
const VALUE_FLAGS = new Set(['--cache', '--registry', '--userconfig', '--prefix', '-w']);
const PACKAGE_FLAGS = new Set(['-p', '--package']);
const CALL_FLAGS = new Set(['-c', '--call']);

/** `npx ARGS` and `npm exec ARGS` / `npm x ARGS` → the npx argument list; anything else → undefined. */
export const npxArguments = (
  command: string,
  args: readonly string[],
): readonly string[] | undefined => {
  if (command === 'npx') return args;
  if (command === 'npm' && (args[0] === 'exec' || args[0] === 'x')) return args.slice(1);
  return undefined;
};

/**
 * Reads an npx argument list: `-y pkg@1 a b`, `--package pkg@1 bin a b`, `--package=pkg@1 -- bin a`.
 * @example npxInvocation(['-y', 'pkg@1.2.3', 'stdio']) // { ok: true, spec: 'pkg@1.2.3', binName: undefined, rest: ['stdio'] }
 */
export const npxInvocation = (args: readonly string[]): NpxInvocation => {
  let spec: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (CALL_FLAGS.has(arg) || arg.startsWith('--call='))
      return { ok: false, reason: 'npx --call runs a shell command, not one package' };
    if (arg === '--') {
      const next = args[i + 1];
      if (next === undefined) break;
      return spec === undefined
        ? { ok: true, spec: next, binName: undefined, rest: args.slice(i + 2) }
        : { ok: true, spec, binName: next, rest: args.slice(i + 2) };
    }
    if (PACKAGE_FLAGS.has(arg) || arg.startsWith('--package=')) {
      if (spec !== undefined) return { ok: false, reason: 'npx names more than one package' };
      spec = arg.startsWith('--package=') ? arg.slice('--package='.length) : args[++i];
      continue;
    }
    if (VALUE_FLAGS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return spec === undefined
      ? { ok: true, spec: arg, binName: undefined, rest: args.slice(i + 1) }
      : { ok: true, spec, binName: arg, rest: args.slice(i + 1) };
  }
  return spec === undefined || spec === ''
    ? { ok: false, reason: 'npx without a package' }
    : { ok: true, spec, binName: undefined, rest: [] };
};

/**
 * The bin npx would run from a package's manifest: the named one, else the only one, else the one
 * named like the package (without its scope). Pure.
 * @example pickBin({ bin: { 'mcp-server-memory': 'dist/index.js' } }, '@modelcontextprotocol/server-memory', undefined) // 'dist/index.js'
 */
export const pickBin = (
  manifest: { readonly bin?: unknown },
  name: string,
  binName: string | undefined,
): { ok: true; path: string } | { ok: false; reason: string } => {
  const bare = name.slice(name.lastIndexOf('/') + 1);
  const bins: Record<string, unknown> =
    typeof manifest.bin === 'string'
      ? { [bare]: manifest.bin }
      : typeof manifest.bin === 'object' && manifest.bin !== null
        ? (manifest.bin as Record<string, unknown>)
        : {};
  const names = Object.keys(bins);
  const chosen =
    binName ?? (names.length === 1 ? String(names[0]) : names.includes(bare) ? bare : '');
  const path = bins[chosen];
  if (typeof path !== 'string' || path === '')
    return {
      ok: false,
      reason:
        names.length === 0
          ? `${name} declares no bin to run`
          : `${name} has no bin "${chosen || binName || bare}" (it has ${names.join(', ')}): name one with --package ${name} BIN`,
    };
  // untrusted: a manifest's bin path must stay inside its package.
  const normal = path.replace(/^\.\//, '');
  if (normal.startsWith('/') || normal.split('/').includes('..'))
    return { ok: false, reason: `${name}: bin path ${path} leaves the package` };
  return { ok: true, path: normal };
};
