import { refuses, type Classified } from '../packages/advisory-policy.js';
import { failsAt } from '../packages/osv.js';
import { fail, pass, warn, type Finding } from './findings.js';
import type { CheckInput } from './types.js';

const DAY_MS = 86_400_000;
/** A waiver that lapses this soon is flagged ahead, while there is time to upgrade. */
const EXPIRING_DAYS = 7;

const findingOf = (
  id: string,
  c: Classified,
  input: { now: Date; fix: string; refused: boolean },
): Finding => {
  const { now, fix, refused } = input;
  const f = c.finding;
  const what = `servers.${id}: ${f.package}@${f.version} ${f.id} (${f.severity})`;
  if (c.status !== 'waived')
    return fail(
      `${what}${c.status === 'expired' ? `, its waiver expired on ${c.waiver?.expires}` : ''} — ${refused ? 'the server is not started' : 'unwaived, yet it starts'}`,
      fix,
    );
  const expires = c.waiver?.expires ?? '';
  const left = Math.floor((Date.parse(`${expires}T23:59:59Z`) - now.getTime()) / DAY_MS);
  const text = `${what} waived until ${expires}: ${c.waiver?.reason}`;
  return left < EXPIRING_DAYS
    ? warn(`${text} (expires in ${left} day(s))`, `upgrade ${f.package}, or renew the waiver`)
    : pass(text);
};

/**
 * Item 9: passes with an advisory policy that refuses high advisories, advisory data younger than
 * `maxAgeDays`, and no unwaived high or critical advisory in any locked npm tree.
 */
export const scoreAdvisories = ({ config, configPath, advisories, now }: CheckInput): Finding[] => {
  const refresh = `toolgate deps --config ${configPath} --format json --output toolgate-deps.json   # or a fresh OSV export in advisories.osv`;
  switch (advisories.kind) {
    case 'off':
      return [
        warn(
          'advisories: not configured — a server starts whatever known advisories its locked tree carries',
          `advisories: { report: toolgate-deps.json, refuseAt: high }   # made by: ${refresh}`,
        ),
      ];
    case 'unchecked':
      return [
        warn(
          `advisories: configured, but ${advisories.reason}: no locked tree to scan`,
          `toolgate lock --config ${configPath}`,
        ),
      ];
    case 'invalid':
      return [fail(`advisories: ${advisories.error} — the gateway refuses to start`, refresh)];
    case 'present':
      break;
    default: {
      const never: never = advisories;
      return never;
    }
  }
  const policy = config.advisories;
  if (policy === undefined) return [];
  const out: Finding[] = [];
  out.push(
    policy.refuseAt === 'none' || policy.refuseAt === 'critical'
      ? warn(
          `advisories.refuseAt: ${policy.refuseAt} — a server with a high advisory${policy.refuseAt === 'none' ? ', or a critical one,' : ''} still starts`,
          'advisories: { refuseAt: high }',
        )
      : pass(
          `advisories.refuseAt: ${policy.refuseAt}: a server with an unwaived advisory at or above it is not started`,
        ),
  );
  for (const source of advisories.gate.sources) {
    const days = Math.floor((now.getTime() - source.at.getTime()) / DAY_MS);
    const text = `${source.kind} ${source.path}: ${days} day(s) old`;
    out.push(
      days > policy.maxAgeDays
        ? warn(`${text}, older than maxAgeDays (${policy.maxAgeDays})`, refresh)
        : pass(text),
    );
  }
  if (advisories.gate.decisions.size === 0)
    out.push(pass('no npm or Python server in the lock: no installed tree to scan'));
  for (const [id, decision] of advisories.gate.decisions) {
    if (!decision.ok && decision.code === 'ADVISORY_UNCHECKED') {
      out.push(fail(`servers.${id}: ${decision.message}`, refresh));
      continue;
    }
    const fix = decision.ok ? refresh : decision.message.slice(decision.message.indexOf('Fix: '));
    const shown = decision.classified.filter(
      (c) =>
        c.status === 'waived' || refuses(c, policy.refuseAt) || failsAt(c.finding.severity, 'high'),
    );
    for (const c of shown)
      out.push(findingOf(id, c, { now, fix, refused: refuses(c, policy.refuseAt) }));
    const below = decision.classified.length - shown.length;
    if (shown.length === 0)
      out.push(
        pass(
          `servers.${id}: no unwaived advisory at or above high${below > 0 ? ` (${below} below)` : ''}`,
        ),
      );
  }
  return out;
};
