import type { CheckInput } from './types.js';
import { fail, pass, warn, type Finding } from './findings.js';

/** Items about operating the deployment: its audit log, dependencies, callers and red-team runs. */
export const scoreAudit = ({ config, environment }: CheckInput): Finding[] => {
  if (config.audit === false || environment.audit === undefined)
    return [
      fail(
        "audit: false — calls and the defenses' verdicts are not recorded",
        'delete "audit: false" from the config (the tamper-evident log is on by default)',
      ),
    ];
  const { keyFile, store } = environment.audit;
  const out: Finding[] = [];
  if (keyFile.mode === undefined)
    out.push(pass(`${keyFile.path}: not created yet; the first run creates it with mode 0600`));
  else if ((keyFile.mode & 0o077) !== 0)
    out.push(
      fail(
        `${keyFile.path}: mode 0${keyFile.mode.toString(8)} — others can read the signing key and forge checkpoints`,
        `chmod 600 ${keyFile.path}`,
      ),
    );
  else out.push(pass(`${keyFile.path}: mode 0${keyFile.mode.toString(8)}`));
  out.push(
    store.writable
      ? pass(`${store.path}: writable (sync: ${config.audit.sync})`)
      : fail(
          `${store.path}: not writable${store.reason ? ` (${store.reason})` : ''} — the gateway refuses to start`,
          `mkdir -p "$(dirname ${store.path})"   # or point audit.path at a writable folder`,
        ),
  );
  const witnesses = [config.audit.witnessFile, config.audit.witnessUrl].filter(
    (w) => w !== undefined,
  );
  out.push(
    witnesses.length > 0
      ? pass(`checkpoints also go to ${witnesses.join(', ')}`)
      : warn(
          'no witness: someone who can write the log and the key can rewrite history unnoticed',
          'audit: { witnessFile: /var/lib/other-disk/toolgate-witness.txt }   # or witnessUrl: https://…',
        ),
  );
  return out;
};

const NOT_AVAILABLE = 'not available in this version';

export const scoreSbom = ({ lock }: CheckInput): Finding[] => {
  const npm =
    lock.kind === 'present'
      ? Object.entries(lock.lock.servers).flatMap(([id, s]) =>
          s.package.kind === 'npm' ? [`${id}: ${s.package.name}@${s.package.version}`] : [],
        )
      : [];
  return [
    warn(
      `SBOM and advisory scanning: ${NOT_AVAILABLE} (toolgate sbom / toolgate deps)`,
      "until then: `npm audit --omit=dev` (or `osv-scanner --lockfile package-lock.json`) in each server's install",
    ),
    ...npm.map((name) =>
      pass(`servers.${name}: installed files pinned by digest in the lock, not scanned`),
    ),
  ];
};

export const scoreAccess = ({ config }: CheckInput): Finding[] => {
  const out: Finding[] = [
    warn(
      `per-caller authorization (Cedar policies, scopes): ${NOT_AVAILABLE}; every client reaching the gateway gets the same allowlists`,
      'run `toolgate run` for one local client, or keep `toolgate serve` on loopback behind a reverse proxy that authenticates callers',
    ),
  ];
  const { allowedHosts, allowedOrigins } = config.http;
  if (allowedHosts.length > 0 || allowedOrigins.length > 0)
    out.push(
      warn(
        `http front accepts non-loopback hosts/origins (${[...allowedHosts, ...allowedOrigins].join(', ')}) without caller authentication`,
        'http: { allowedHosts: [], allowedOrigins: [] }   # unless an authenticating proxy is in front',
      ),
    );
  for (const [id, server] of Object.entries(config.servers)) {
    const allowed = (['sampling', 'elicitation', 'roots'] as const).filter((k) => server.allow[k]);
    if (allowed.length > 0)
      out.push(pass(`servers.${id} may ask the client for ${allowed.join(', ')}`));
  }
  return out;
};
