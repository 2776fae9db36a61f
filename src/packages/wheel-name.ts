/** Python distribution names and wheel file names (PEP 503, the binary distribution format). Pure. */

/** PEP 503 normalized project name: lowercase, each run of `-`, `_` and `.` one `-`. */
export const normalizePypiName = (name: string): string =>
  name.toLowerCase().replace(/[-_.]+/g, '-');

export interface WheelName {
  /** The distribution name, PEP 503 normalized. */
  readonly name: string;
  readonly version: string;
  readonly build?: string;
}

/**
 * A wheel's name and version from its file name,
 * `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`: the spec
 * escapes `-` inside each part as `_`, so the file splits on `-` into five or six parts, and a build
 * tag starts with a digit. `undefined` for any other shape.
 * @example parseWheelName('zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl')?.name // 'zope-interface'
 */
export const parseWheelName = (file: string): WheelName | undefined => {
  if (!file.endsWith('.whl')) return undefined;
  const parts = file.slice(0, -'.whl'.length).split('-');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  if (parts.some((p) => p === '')) return undefined;
  const [name = '', version = '', build] = parts;
  if (parts.length === 6 && !/^\d/.test(build ?? '')) return undefined;
  return {
    name: normalizePypiName(name),
    version,
    ...(parts.length === 6 && build !== undefined && { build }),
  };
};
