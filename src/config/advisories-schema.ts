import { z } from 'zod';

/** A calendar date, valid through its last second (UTC). */
const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine(
    (d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(d).toISOString().startsWith(d),
    {
      message: 'not a calendar date',
    },
  );

const Waiver = z
  .strictObject({
    advisory: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9:._-]+$/,
        'an advisory id such as GHSA-xxxx-xxxx-xxxx or CVE-2026-12345',
      )
      .describe('The advisory waived: its id or one of its aliases (GHSA-…, CVE-…).'),
    server: z
      .string()
      .min(1)
      .optional()
      .describe('Only for this server (default: every server whose tree has the advisory).'),
    reason: z
      .string()
      .trim()
      .min(10, 'say why the advisory does not apply or is accepted (10 characters at least)')
      .describe('Why the advisory is accepted: shown wherever the waiver is applied.'),
    expires: IsoDate.describe(
      'Last day (UTC, YYYY-MM-DD) the waiver counts; after it the advisory refuses the start again.',
    ),
  })
  .describe('One accepted advisory, with a reason and an expiry date (both required).');

export const AdvisoriesSchema = z
  .strictObject({
    osv: z
      .string()
      .min(1)
      .optional()
      .describe(
        'OSV advisories (a file, or a folder of *.json files, relative to the config) matched at every start against each npm server’s locked installed tree. Offline.',
      ),
    report: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A `toolgate deps --format json --output FILE` report (relative to the config); it covers a server only for the package version it was made for.',
      ),
    refuseAt: z
      .enum(['low', 'medium', 'high', 'critical', 'none'])
      .default('high')
      .describe(
        'Refuse to start a server with an unwaived advisory at or above this severity (unrated counts as high); none: only report.',
      ),
    maxAgeDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(7)
      .describe(
        'Advisory data older than this (the report’s generatedAt, the OSV files’ modification time) is stale: start warns, toolgate check fails item 9.',
      ),
    waivers: z.array(Waiver).default([]).describe('Accepted advisories.'),
  })
  .refine((a) => a.osv !== undefined || a.report !== undefined, {
    message: 'advisories needs osv, report, or both',
  })
  .describe(
    'Start policy on known advisories in the npm servers’ locked trees (docs/security-team.md).',
  );

export type AdvisoriesConfig = z.infer<typeof AdvisoriesSchema>;
export type WaiverConfig = AdvisoriesConfig['waivers'][number];
