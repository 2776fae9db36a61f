import { z } from 'zod';

/** What a sandboxed server may touch on the host (bubblewrap binds, rlimits) and on the network (egress). */
/** A host path to bind: absolute, or relative to the gateway's working directory; never with ".." segments. */
const BindPath = z
  .string()
  .min(1)
  .regex(/^(?!.*(^|\/)\.\.(\/|$))/, 'a path without ".." segments');
export const Sandbox = z
  .strictObject({
    readOnly: z
      .array(BindPath)
      .default([])
      .describe(
        'Extra host paths bound read-only (the server package and runtime are bound automatically).',
      ),
    writable: z
      .array(BindPath)
      .default([])
      .describe('Host paths bound read-write; nothing else on the host is writable.'),
    tmpSizeMb: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(64)
      .describe('Size cap of each private tmpfs (/tmp, the home, /dev/shm), in MiB.'),
    memoryMb: z
      .number()
      .int()
      .min(256)
      .max(1_048_576)
      .default(4096)
      .describe('Address-space limit (RLIMIT_AS) of the server, in MiB.'),
    cpuSeconds: z
      .number()
      .int()
      .min(1)
      .max(31_536_000)
      .default(3600)
      .describe('CPU time limit (RLIMIT_CPU) of the server process, in seconds.'),
    processes: z
      .number()
      .int()
      .min(16)
      .max(65_536)
      .default(512)
      .describe('Most processes and threads (RLIMIT_NPROC) in the sandbox.'),
    fileSizeMb: z
      .number()
      .int()
      .min(1)
      .max(1_048_576)
      .default(1024)
      .describe('Largest file the server may write (RLIMIT_FSIZE), in MiB.'),
    openFiles: z
      .number()
      .int()
      .min(32)
      .max(1_048_576)
      .default(1024)
      .describe('Most open file descriptors (RLIMIT_NOFILE).'),
    seccomp: z
      .boolean()
      .default(true)
      .describe('Load the seccomp filter that denies dangerous syscalls (ptrace, mount, bpf, …).'),
    uid: z
      .number()
      .int()
      .min(1000)
      .max(0x7fff_fffe)
      .refine(
        (n) => n !== 65534,
        "not 65534 (nobody): host processes running as nobody could read the server's environment",
      )
      .optional()
      .describe(
        'Host uid and gid the sandbox runs as when toolgate runs as root; default: one derived from the server id (524288–1879048191), its own per server.',
      ),
  })
  .describe('Linux bubblewrap sandbox of a stdio server.');
export const SANDBOX_DEFAULTS = Sandbox.parse({});
/**
 * An egress host pattern: an exact host name, or `*.` followed by a domain of at least two labels.
 * Bare `*`, `*.com`-style and partial globs are refused: they would allow nearly everything.
 */
const HostPattern = z
  .string()
  .max(253)
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    'a lower-case host name, or "*." and a domain',
  )
  .refine((p) => !p.startsWith('*.') || p.slice(2).split('.').length >= 2, {
    message:
      'over-broad pattern: "*." must be followed by a domain of at least two labels (e.g. "*.example.com")',
  });
export const Egress = z
  .strictObject({
    allow: z
      .array(HostPattern)
      .default([])
      .describe('Host names this server may reach through the egress proxy. Empty = no egress.'),
    allowPrivate: z
      .array(HostPattern)
      .default([])
      .describe(
        'Allowed hosts that may resolve to loopback, private, link-local or metadata addresses (off by default).',
      ),
    ports: z
      .array(z.number().int().min(1).max(65535))
      .default([80, 443])
      .describe('Destination ports allowed.'),
    resolve: z
      .record(z.string().min(1).max(253), z.union([z.ipv4(), z.ipv6()]))
      .default({})
      .describe(
        'Fixed DNS answers (host → IP), like curl --resolve; other names use the system resolver.',
      ),
  })
  .describe(
    "Network egress of a sandboxed server: only through toolgate's proxy, only to these hosts.",
  );
export const EGRESS_DEFAULT = { allow: [], allowPrivate: [], ports: [80, 443], resolve: {} };

export type SandboxConfig = z.infer<typeof Sandbox>;
export type EgressConfig = z.infer<typeof Egress>;
