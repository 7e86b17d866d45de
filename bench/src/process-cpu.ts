import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { services } from './stack';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, ms) of each process of the stack, from /proc: every service instance
 * under its own name and pid, and the infrastructure summed per program. On a shared 2-core
 * machine, CPU per request is steadier than requests per second.
 */
export function processCpu(): Record<string, number> {
  const result: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const label = labelOf(cmdline, entry);
      if (!label) continue;
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      result[label] = (result[label] ?? 0) + (ticks * 1000) / TICKS_PER_SECOND;
    } catch {
      // the process ended while we looked
    }
  }
  return result;
}

function labelOf(cmdline: string, pid: string): string | undefined {
  if (cmdline.includes('dist/src/main.js')) {
    const service = services.find((name) => cmdline.includes(`${name}/dist`)) ?? services.find((name) => readCwd(pid).endsWith(`/${name}`));
    return service ? `${service}#${pid}` : undefined;
  }
  if (/(^|\/)ferretdb /.test(cmdline)) return 'ferretdb';
  if (/^postgres|\/postgres /.test(cmdline)) return 'postgres';
  if (/(^|\/)etcd /.test(cmdline)) return 'etcd';
  if (cmdline.includes('beam.smp')) return 'rabbitmq';
  return undefined;
}

function readCwd(pid: string): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

/** CPU ms per request of each process between two samples (only processes that used CPU). */
export function cpuPerRequest(before: Record<string, number>, after: Record<string, number>, requests: number): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [label, ms] of Object.entries(after)) {
    const used = ms - (before[label] ?? 0);
    if (used > 0 && requests > 0) result[label] = Math.round((used / requests) * 1000) / 1000;
  }
  return result;
}
