import type { ServerConfig } from '../config/schema.js';
import type { LockServer } from '../pins/lock.js';
import { fail, pass, warn, type Finding } from './findings.js';
import type { CheckInput } from './types.js';

const lockCommand = (input: CheckInput, server?: string) =>
  `toolgate lock --config ${input.configPath}${server ? ` ${server}` : ''}`;

/** What the lock state says before any server is looked at; undefined when a lock is present. */
const lockMissing = (input: CheckInput, what: string): Finding[] | undefined => {
  const { lock } = input;
  if (lock.kind === 'absent') return [fail(`no lock at ${lock.path}: ${what}`, lockCommand(input))];
  if (lock.kind === 'invalid')
    return [
      fail(
        `${lock.path} is unusable (${lock.error}): ${what}`,
        `${lockCommand(input)}   # after reviewing why it changed`,
      ),
    ];
  return undefined;
};

/** Package identity of one locked server: how strongly what runs is tied to what was reviewed. */
const packageIdentity = (id: string, server: ServerConfig, locked: LockServer): Finding => {
  const pkg = locked.package;
  switch (pkg.kind) {
    case 'npm': {
      const name = `${pkg.name}@${pkg.version}`;
      if (pkg.provenance === 'absent')
        return warn(
          `servers.${id}: ${name} pinned by integrity and installed-file digests; the registry has no provenance for it`,
          `prefer a release published with provenance, then: servers.${id}.pin: { provenance: required }`,
        );
      const identity = server.pin?.identity;
      if (identity === undefined)
        return warn(
          `servers.${id}: ${name} provenance verified (signed by ${pkg.provenance.subjectAlternativeName}), but any signer would be accepted`,
          `servers.${id}.pin: { provenance: required, identity: { subjectAlternativeName: "${pkg.provenance.subjectAlternativeName}"${pkg.provenance.issuer ? `, issuer: "${pkg.provenance.issuer}"` : ''} } }`,
        );
      return pass(
        `servers.${id}: ${name} provenance verified, signer pinned to ${identity.subjectAlternativeName}`,
      );
    }
    case 'file': {
      const modules =
        Object.keys(pkg.modules ?? {}).length + Object.keys(pkg.packages ?? {}).length;
      return pass(
        `servers.${id}: ${pkg.role} ${pkg.path} pinned by SHA-256${modules > 0 ? ` with ${modules} imported file(s)/package(s)` : ''}`,
      );
    }
    case 'pypi':
      return pass(
        `servers.${id}: ${pkg.name}==${pkg.version} and its ${Object.keys(pkg.distributions).length} wheel(s) pinned by SHA-256 in the package store (no provenance for Python packages)`,
      );
    case 'image':
      return pkg.publicKeySha256 === undefined
        ? warn(
            `servers.${id}: image ${pkg.ref} pinned by digest, but unsigned`,
            `servers.${id}.pin: { image: { ref: "${pkg.ref}", publicKey: cosign.pub, signature: image.sig.json } }`,
          )
        : pass(`servers.${id}: image ${pkg.ref} pinned by digest, cosign signature verified`);
    case 'remote':
      return warn(
        `servers.${id}: remote ${pkg.url}: no package to verify, only its definitions are pinned`,
        `run servers.${id} locally (npm package with provenance, or a signed image) if its code identity matters`,
      );
    default: {
      const never: never = pkg;
      return never;
    }
  }
};

/** Item 2: is each server's code tied to a verified identity (integrity, provenance, signer, digest)? */
export const scoreSignatures = (input: CheckInput): Finding[] => {
  const missing = lockMissing(input, 'no package is verified before it starts');
  if (missing !== undefined || input.lock.kind !== 'present') return missing ?? [];
  const { servers } = input.lock.lock;
  return Object.entries(input.config.servers).map(([id, server]) => {
    const locked = Object.hasOwn(servers, id) ? servers[id] : undefined;
    return locked === undefined
      ? fail(
          `servers.${id}: not in the lock, so its package is not verified`,
          lockCommand(input, id),
        )
      : packageIdentity(id, server, locked);
  });
};

/** An npm spec is pinned when it names the exact version the lock resolved. */
const isExactSpec = (spec: string, name: string, version: string): boolean =>
  spec === `${name}@${version}` || spec === version;

/** Item 10: can a server's code or definitions change without a human approving it? */
export const scoreUpdatePolicy = (input: CheckInput): Finding[] => {
  const out: Finding[] = [];
  if (!input.config.lock.required)
    out.push(
      warn(
        'lock.required: false — the gateway starts without a lock, and then nothing is pinned',
        'lock: { required: true }',
      ),
    );
  const missing = lockMissing(input, 'definitions and packages can change without review');
  if (missing !== undefined || input.lock.kind !== 'present') return [...out, ...(missing ?? [])];
  const { servers } = input.lock.lock;
  for (const id of Object.keys(input.config.servers)) {
    const locked = Object.hasOwn(servers, id) ? servers[id] : undefined;
    if (locked === undefined) {
      out.push(
        fail(
          `servers.${id}: not in the lock: its definitions are refused until locked`,
          lockCommand(input, id),
        ),
      );
      continue;
    }
    const pkg = locked.package;
    const count =
      Object.keys(locked.tools).length +
      Object.keys(locked.prompts).length +
      Object.keys(locked.resources).length +
      Object.keys(locked.resourceTemplates).length;
    if (pkg.kind === 'npm' && !isExactSpec(pkg.spec, pkg.name, pkg.version))
      out.push(
        warn(
          `servers.${id}: configured as "${pkg.spec}", resolved to ${pkg.version} with --allow-unpinned`,
          `servers.${id}.args: ["${pkg.name}@${pkg.version}"]   # the exact version, then ${lockCommand(input, id)}`,
        ),
      );
    else
      out.push(
        pass(
          `servers.${id}: ${count} definition(s) and its package pinned; changes stay hidden until \`toolgate approve\``,
        ),
      );
  }
  return out;
};
