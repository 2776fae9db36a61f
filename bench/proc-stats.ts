import { readFileSync } from 'node:fs';

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
export const readCpuMs = (pid: number | undefined): number | undefined => {
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
export const readHostTicks = (): { total: number; steal: number } | undefined => {
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
