/**
 * A seccomp-BPF program (the binary `bwrap --seccomp FD` reads) that makes dangerous syscalls fail
 * with EPERM. It is a short deny list, written here as classic BPF because libseccomp has no
 * maintained Node binding and a native build step would burden every install; the program is a
 * straight line of compares, the shape libseccomp itself emits for such a list.
 */

/** Syscalls denied, by reason; numbers per architecture. */
const DENIED: Readonly<Record<string, readonly [x86_64: number, aarch64: number]>> = {
  // Inspecting or writing other processes' memory.
  ptrace: [101, 117],
  process_vm_readv: [310, 270],
  process_vm_writev: [311, 271],
  // Re-arranging mounts and namespaces (escape routes out of the bwrap view).
  mount: [165, 40],
  umount2: [166, 39],
  pivot_root: [155, 41],
  unshare: [272, 97],
  setns: [308, 268],
  open_tree: [428, 428],
  move_mount: [429, 429],
  fsopen: [430, 430],
  fsconfig: [431, 431],
  fsmount: [432, 432],
  fspick: [433, 433],
  // Kernel attack surface a tool server never needs.
  bpf: [321, 280],
  perf_event_open: [298, 241],
  userfaultfd: [323, 282],
  keyctl: [250, 219],
  add_key: [248, 217],
  request_key: [249, 218],
  io_uring_setup: [425, 425],
  io_uring_enter: [426, 426],
  io_uring_register: [427, 427],
  init_module: [175, 105],
  finit_module: [313, 273],
  delete_module: [176, 106],
  kexec_load: [246, 104],
  kexec_file_load: [320, 294],
  open_by_handle_at: [304, 265],
  name_to_handle_at: [303, 264],
  syslog: [103, 116],
  acct: [163, 89],
  swapon: [167, 224],
  swapoff: [168, 225],
  reboot: [169, 142],
  quotactl: [179, 60],
};
/** clone3 passes its flags in memory BPF cannot read: ENOSYS makes libc fall back to clone(2). */
const CLONE3 = 435;

const ARCH = {
  x64: { audit: 0xc000003e, index: 0 },
  arm64: { audit: 0xc00000b7, index: 1 },
} as const;
export type SeccompArch = keyof typeof ARCH;
export const DENIED_SYSCALLS = Object.keys(DENIED);

const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

type Insn = readonly [code: number, jt: number, jf: number, k: number];

/**
 * The filter for one architecture, as bytes of `struct sock_filter[]` (little-endian, as on both targets).
 * Any other architecture (e.g. the x32 ABI or 32-bit compat calls) is killed outright.
 * @example buildSeccompFilter('x64').length % 8 === 0
 */
export const buildSeccompFilter = (arch: SeccompArch): Buffer => {
  const { audit, index } = ARCH[arch];
  const numbers = Object.values(DENIED).map((pair) => pair[index]);
  const head: Insn[] = [
    [LD_W_ABS, 0, 0, 4], // seccomp_data.arch
    [JEQ_K, 1, 0, audit],
    [RET_K, 0, 0, RET_KILL_PROCESS],
    [LD_W_ABS, 0, 0, 0], // seccomp_data.nr
  ];
  // Layout after the head: [x32 check] [clone3] [denied…] ALLOW ENOSYS EPERM.
  const checks: Array<{ code: number; k: number; to: 'enosys' | 'eperm' }> = [
    ...(arch === 'x64' ? [{ code: JGE_K, k: 0x40000000, to: 'eperm' as const }] : []),
    { code: JEQ_K, k: CLONE3, to: 'enosys' },
    ...numbers.map((k) => ({ code: JEQ_K, k, to: 'eperm' as const })),
  ];
  const allowAt = head.length + checks.length;
  const body: Insn[] = checks.map((check, i) => {
    const here = head.length + i;
    const target = check.to === 'enosys' ? allowAt + 1 : allowAt + 2;
    return [check.code, target - here - 1, 0, check.k];
  });
  const program: Insn[] = [
    ...head,
    ...body,
    [RET_K, 0, 0, RET_ALLOW],
    [RET_K, 0, 0, RET_ERRNO | ENOSYS],
    [RET_K, 0, 0, RET_ERRNO | EPERM],
  ];
  const out = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    if (jt > 255) throw new Error('seccomp program too long for 8-bit jumps');
    out.writeUInt16LE(code, i * 8);
    out.writeUInt8(jt, i * 8 + 2);
    out.writeUInt8(jf, i * 8 + 3);
    out.writeUInt32LE(k, i * 8 + 4);
  });
  return out;
};

/** The architecture of this process, if the filter supports it. */
export const hostSeccompArch = (): SeccompArch | undefined =>
  process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
