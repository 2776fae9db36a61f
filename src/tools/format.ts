import type { Listing } from './list.js';

/** One line of server-written text as printable text: control, format and bidi characters dropped, at most `max` code points. */
export const printable = (text: unknown, max: number): string => {
  // untrusted: a server wrote this; it must not move the cursor, retitle the terminal or reorder the line.
  const flat = (typeof text === 'string' ? text : '')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // Cut by code points: a UTF-16 cut could leave half a surrogate pair, which prints as U+FFFD.
  const points = [...flat];
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : flat;
};

/** Rows padded into columns; the last column is left ragged. */
export const toColumns = (rows: readonly (readonly string[])[]): string => {
  const last = Math.max(...rows.map((r) => r.length)) - 1;
  const widths = Array.from({ length: last }, (_, c) =>
    Math.max(...rows.map((r) => (r[c] ?? '').length)),
  );
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c < last ? cell.padEnd(widths[c] ?? 0) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

/** `toolgate tools` as a table: one row per item, then the allowlist warnings. */
export const toListingTable = (listing: Listing): string => {
  const rows = [['SERVER', 'PUBLIC NAME', 'KIND', 'VERDICT', 'REASON / DESCRIPTION']];
  for (const i of listing.items) {
    const verdict =
      i.verdict === 'visible'
        ? i.warning
          ? 'visible (warn)'
          : 'visible'
        : `hidden ${i.code ?? ''}`;
    const detail =
      i.verdict === 'visible'
        ? i.warning
          ? `${i.warning}; ${i.description}`
          : i.description
        : (i.reason ?? '');
    rows.push([
      printable(i.server, 40),
      printable(i.publicName || '-', 60),
      i.kind,
      verdict,
      printable(detail, 100),
    ]);
  }
  const visible = listing.items.filter((i) => i.verdict === 'visible').length;
  const lines = [
    toColumns(rows),
    '',
    `${visible} visible, ${listing.items.length - visible} hidden`,
  ];
  for (const w of listing.warnings) lines.push(`warning: ${printable(w.message, 200)}`);
  return lines.join('\n');
};

/**
 * `toolgate tools --format json`: the listing as data, names and descriptions as the server wrote
 * them. JSON escapes C0 controls; DEL, C1, format and bidi characters are escaped here too, so the
 * same data printed to a terminal cannot reorder or hide text.
 */
export const toListingJson = (listing: Listing): string =>
  JSON.stringify({ items: listing.items, warnings: listing.warnings }, null, 2).replace(
    /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu,
    // Per UTF-16 unit: a character past U+FFFF (a tag character) becomes its escaped surrogate pair.
    (c) =>
      [...Array(c.length).keys()]
        .map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`)
        .join(''),
  );
