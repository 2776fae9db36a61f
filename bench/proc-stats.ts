import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of a process, in kB, from /proc (Linux). */
export const readRss = (pid: number | undefined): { rssKb: number; hwmKb: number } | undefined => {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
};

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux; 10 ms resolution). */
const readCpuMs = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined;
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
};

/**
 * The machine's CPU time so far, in ticks of all cores (the `cpu` line of /proc/stat), and how much of
 * it was stolen: time the hypervisor gave this VM's virtual CPUs to something else while they had work
 * to run. Undefined where /proc/stat is missing (not Linux).
 */
const readHostTicks = (): { total: number; steal: number } | undefined => {
  try {
    const fields = (/^cpu +(.*)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '')
      .split(' ')
      .map(Number);
    // user nice system idle iowait irq softirq steal (guest time is counted in user already)
    const counted = fields.slice(0, 8);
    if (counted.length < 8 || counted.some((n) => !Number.isFinite(n))) return undefined;
    return { total: counted.reduce((a, b) => a + b, 0), steal: counted[7] as number };
  } catch {
    return undefined;
  }
};

/** USER_HZ: 100 on every Linux the bench targets. */
const CLOCK_TICKS = 100;

/**
 * Every descendant of a process (Linux 3.5+: /proc/<pid>/task/<tid>/children), e.g. a gateway's
 * upstream, which may run under a sandbox launcher: the launcher and the server both count.
 */
const descendantsOf = (pid: number | undefined): number[] => {
  if (pid === undefined) return [];
  let children: number[];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
};

/** CPU ms of all of `pids` so far, or undefined when any is gone. */
const cpuOf = (pids: readonly number[]): number | undefined => {
  let sum = 0;
  for (const pid of pids) {
    const ms = readCpuMs(pid);
    if (ms === undefined) return undefined;
    sum += ms;
  }
  return sum;
};

export interface Weighed<T> {
  readonly result: T;
  /** CPU µs per call of the weighed process (the gateway or proxy; the server when direct). */
  readonly cpuUs: number;
  /** CPU µs per call of this (the bench client's) process: the SDK client and its fetch. */
  readonly clientUs: number;
  /** CPU µs per call of the weighed process's descendants: the stdio upstream behind a gateway or proxy. */
  readonly upstreamUs: number;
  /** The host's steal meanwhile, in %. */
  readonly stealPct: number;
}

/** Runs `work`, which makes `calls(result)` calls, and weighs what each process spent per call. */
export const weigh = async <T>(
  pid: number | undefined,
  calls: (result: T) => number,
  work: () => Promise<T>,
): Promise<Weighed<T>> => {
  const children = descendantsOf(pid);
  const before = { own: readCpuMs(pid), kids: cpuOf(children), client: process.cpuUsage() };
  const host = readHostTicks();
  const result = await work();
  const client = process.cpuUsage(before.client);
  const own = readCpuMs(pid);
  const kids = cpuOf(children);
  const hostAfter = readHostTicks();
  const n = calls(result);
  const perCall = (from: number | undefined, to: number | undefined) =>
    from !== undefined && to !== undefined ? ((to - from) * 1000) / n : Number.NaN;
  return {
    result,
    cpuUs: perCall(before.own, own),
    clientUs: (client.user + client.system) / n,
    upstreamUs: children.length === 0 ? Number.NaN : perCall(before.kids, kids),
    stealPct:
      host && hostAfter && hostAfter.total > host.total
        ? ((hostAfter.steal - host.steal) / (hostAfter.total - host.total)) * 100
        : Number.NaN,
  };
};
