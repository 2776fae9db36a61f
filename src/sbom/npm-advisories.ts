/**
 * The npm registry's bulk advisory endpoint, as `npm audit` uses it:
 * `POST {registry}/-/npm/v1/security/advisories/bulk` with `{ name: [versions] }`; the answer maps
 * each name to advisories `{ id, url, title, severity, vulnerable_versions, cwe, cvss }` that the
 * client matches against each version itself (npm/cli `workspaces/arborist/lib/audit-report.js`
 * and `@npmcli/metavuln-calculator`'s `advisory.js` read the same fields). Parsing and matching are
 * pure; only `fetchBulkAdvisories` does I/O.
 */
import { z } from 'zod';
import { SbomError } from '../errors.js';
import { inNpmRange } from './npm-range.js';
import { LABELS, type AdvisorySeverity, type Match } from '../packages/osv.js';
import type { NpmSettings } from '../packages/npmrc.js';
import { registryRequest } from '../packages/registry.js';

// untrusted: the registry (or a mirror, or whoever answers on its address) writes this.
const NpmAdvisorySchema = z.looseObject({
  id: z.union([z.number(), z.string()]),
  url: z.string().optional(),
  title: z.string().optional(),
  severity: z.string(),
  vulnerable_versions: z.string(),
});
const BulkResponseSchema = z.record(z.string(), z.array(NpmAdvisorySchema));
type BulkResponse = z.infer<typeof BulkResponseSchema>;

/** npm's `info` is the lowest label there is; anything unrecognised is `unknown` (counted as high). */
const severityOf = (label: string): AdvisorySeverity =>
  label.toLowerCase() === 'info' ? 'low' : (LABELS[label.toLowerCase()] ?? 'unknown');

/** The GitHub advisory id in the advisory's URL, else npm's numeric id. */
const idOf = (a: z.infer<typeof NpmAdvisorySchema>): string =>
  /\/(GHSA(?:-[0-9a-z]{4}){3})$/i.exec(a.url ?? '')?.[1] ?? `npm-${a.id}`;

/** The advisories of the bulk answer that affect `name@version`; an unreadable range counts as affecting it. */
export const matchBulk = (response: BulkResponse, name: string, version: string): Match[] =>
  (response[name] ?? []).flatMap((a) => {
    const hit = inNpmRange(version, a.vulnerable_versions);
    if (hit === false) return [];
    const summary = a.title ?? '';
    return [
      {
        id: idOf(a),
        aliases: idOf(a) === `npm-${a.id}` ? [] : [`npm-${a.id}`],
        summary:
          hit === undefined
            ? `${summary} (vulnerable_versions "${a.vulnerable_versions}" unreadable: counted as affected)`
            : summary,
        severity: severityOf(a.severity),
        fixed: [],
      },
    ];
  });

/** Reads a bulk answer; anything else is refused with SBOM_REGISTRY_INVALID. */
const parseBulkResponse = (text: string, url: string): BulkResponse => {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new SbomError('SBOM_REGISTRY_INVALID', `${url} did not answer JSON`, { cause });
  }
  const parsed = BulkResponseSchema.safeParse(doc);
  if (!parsed.success)
    throw new SbomError(
      'SBOM_REGISTRY_INVALID',
      `${url} did not answer in the bulk advisory format:\n${z.prettifyError(parsed.error)}`,
    );
  return parsed.data;
};

/**
 * Asks the registry about every name@version, with npm's settings for it (token, proxy, CA);
 * unreachable or a non-2xx answer is an error, never "no advisory".
 */
export const fetchBulkAdvisories = async (
  registry: string,
  packages: ReadonlyMap<string, readonly string[]>,
  npm: NpmSettings = {},
): Promise<BulkResponse> => {
  const url = `${registry.replace(/\/+$/, '')}/-/npm/v1/security/advisories/bulk`;
  let response;
  try {
    response = await registryRequest(url, npm, Object.fromEntries(packages));
  } catch (cause) {
    throw new SbomError(
      'SBOM_REGISTRY_UNREACHABLE',
      `${(cause as Error).message} (offline? use --osv with a local advisory copy)`,
      { cause },
    );
  }
  const text = response.body.toString('utf8');
  if (response.status < 200 || response.status > 299)
    throw new SbomError(
      'SBOM_REGISTRY_INVALID',
      `${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`,
    );
  return parseBulkResponse(text, url);
};
