import type { CheckInput } from './types.js';
import { fail, pass, warn, type Finding } from './findings.js';

/** A red-team report older than this no longer says much about today's defenses and host. */
const MAX_AGE_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * Item 12: the last `toolgate redteam` report kept beside the config. It passes when the report is
 * for the config as it is now, recent, and every attack was blocked; it fails when an attack got
 * through; without a usable, current report it warns with the command that makes one.
 */
export const scoreRedTeam = ({ configPath, redteam, now }: CheckInput): Finding[] => {
  const run = `toolgate redteam --config ${configPath} --format json > ${redteam.path}`;
  if (redteam.kind === 'absent')
    return [warn(`no red-team report at ${redteam.path}: the defenses were not attacked`, run)];
  if (redteam.kind === 'invalid')
    return [warn(`${redteam.path} is not a toolgate redteam report: ${redteam.error}`, run)];
  const { generatedAt, sameConfig, blocked, notBlocked } = redteam;
  if (notBlocked.length > 0)
    return [
      fail(
        `${redteam.path}: ${notBlocked.length} attack(s) NOT BLOCKED: ${notBlocked.join(', ')}`,
        `fix what each attack's evidence shows (docs/security-team.md, toolgate redteam), then: ${run}`,
      ),
    ];
  if (!sameConfig)
    return [
      warn(
        `${redteam.path}: made for another version of ${configPath} (its configSha256 differs)`,
        run,
      ),
    ];
  if (generatedAt === undefined)
    return [warn(`${redteam.path}: the report does not say when it was made`, run)];
  const days = Math.floor((now.getTime() - generatedAt.getTime()) / DAY_MS);
  if (days > MAX_AGE_DAYS)
    return [warn(`${redteam.path}: ${days} days old (older than ${MAX_AGE_DAYS}): rerun it`, run)];
  return [
    pass(
      `${redteam.path}: all ${blocked} attacks blocked on ${generatedAt.toISOString().slice(0, 10)}, for this config`,
    ),
  ];
};
