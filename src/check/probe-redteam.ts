import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { RedteamState } from './types.js';

/** Where `check` looks for the last red-team report unless told: beside the config. */
const redteamReportPathOf = (configPath: string): string =>
  join(dirname(configPath), 'toolgate-redteam.json');

/** SHA-256 of the config file's bytes: a red-team report names the config it attacked by it. */
export const configSha256 = async (configPath: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(configPath))
    .digest('hex');

// untrusted: a file anyone with write access to the folder may have put there; only these fields count.
const ReportSchema = z.looseObject({
  generatedAt: z.iso.datetime({ offset: true }).optional(),
  configSha256: z.string().optional(),
  attacks: z.array(z.looseObject({ id: z.string(), blocked: z.boolean() })).min(1),
});

/** Reads the red-team report; one that is missing or not a report is reported, not thrown. */
export const readRedteamState = async (
  configPath: string,
  path: string = redteamReportPathOf(configPath),
): Promise<RedteamState> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent', path };
    return { kind: 'invalid', path, error: (error as Error).message };
  }
  let parsed;
  try {
    parsed = ReportSchema.safeParse(JSON.parse(text));
  } catch (error) {
    return { kind: 'invalid', path, error: `not JSON: ${(error as Error).message}` };
  }
  if (!parsed.success) return { kind: 'invalid', path, error: z.prettifyError(parsed.error) };
  const { generatedAt, attacks } = parsed.data;
  return {
    kind: 'present',
    path,
    generatedAt: generatedAt === undefined ? undefined : new Date(generatedAt),
    sameConfig: parsed.data.configSha256 === (await configSha256(configPath)),
    blocked: attacks.filter((a) => a.blocked).length,
    notBlocked: attacks.filter((a) => !a.blocked).map((a) => a.id),
  };
};
