import type { CheckInput } from './types.js';
import { fail, pass, warn, type Finding } from './findings.js';

/** Item 8: the audit log is on, its signing key private, its store writable, its checkpoints witnessed. */
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
