import { posix } from 'node:path';

/** Flags whose value is a folder the server writes in. */
const DIR_FLAG = /^--?[A-Za-z0-9-]*(dir|directory|root|folder)$/i;
/** Flags whose value is a file the server writes: its folder must be writable. */
const FILE_FLAG = /^--?[A-Za-z0-9-]*(path|file|db|database|store)$/i;
const DIR_ENV = /(_DIR|_DIRECTORY|_ROOT|_FOLDER)$/;
const FILE_ENV = /(_PATH|_FILE|_DB)$/;
/** Servers whose positional arguments are the folders they serve (and write). */
const FOLDER_SERVERS = /(^|\/)server-filesystem(@|$)/;

const looksLikePath = (value: string): boolean => /^(\/|~\/|\.\.?\/)/.test(value) || value === '~';

const expand = (value: string, home: string): string =>
  value === '~' ? home : value.startsWith('~/') ? posix.join(home, value.slice(2)) : value;

/**
 * The host paths a server's arguments and environment imply it writes: server-filesystem's folders,
 * a `--memory-path FILE`-like flag's folder, a `*_DIR` variable's folder. Pure: nothing is checked on
 * disk, and a path with `..` left after normalizing is dropped (the schema refuses it).
 */
export const impliedWritable = (
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  home: string,
): string[] => {
  const found: string[] = [];
  const add = (value: string, isFile: boolean) => {
    if (!looksLikePath(value)) return;
    const path = posix.normalize(expand(value, home));
    const target = isFile ? posix.dirname(path) : path;
    if (!/(^|\/)\.\.(\/|$)/.test(target) && target !== '/')
      found.push(target.replace(/\/$/, '') || target);
  };
  const folderServer = args.findIndex((a) => FOLDER_SERVERS.test(a));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] =
      arg.startsWith('-') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const isDir = DIR_FLAG.test(flag);
    const isFile = !isDir && FILE_FLAG.test(flag);
    if (isDir || isFile) {
      const value = inline ?? args[i + 1];
      if (value !== undefined) add(value, isFile);
      if (inline === undefined) i++;
    } else if (folderServer >= 0 && i > folderServer && !arg.startsWith('-')) add(arg, false);
  }
  for (const [name, value] of Object.entries(env)) {
    if (DIR_ENV.test(name)) add(value, false);
    else if (FILE_ENV.test(name)) add(value, true);
  }
  return [...new Set(found)];
};
