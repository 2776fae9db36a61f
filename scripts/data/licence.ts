// Which package licences permit committing the package's text (descriptions, READMEs) to this repo.
const PERMISSIVE = new Set(['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC', '0BSD']);

/** An SPDX expression whose every licence is permissive (`MIT OR Apache-2.0` passes). */
export const isPermissive = (license: string): boolean =>
  license
    .replace(/[()]/g, ' ')
    .split(/\s+(?:OR|AND)\s+/)
    .every((part) => PERMISSIVE.has(part.trim()));
