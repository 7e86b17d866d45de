import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { statementsPerUnit, statementTotals, type StatementTotals } from './pg-statements';
import { services } from './stack';

const root = path.resolve(__dirname, '../../..');

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
      // Only this checkout's stack: every one of its processes (services, PostgreSQL backends,
      // FerretDB, RabbitMQ …) works in a directory under it; another checkout's stack on the same
      // machine (other ports) does not. A compared revision's services live under .data/ here.
      const cwd = readCwd(entry);
      if (cwd !== root && !cwd.startsWith(`${root}/`)) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const label = labelOf(cmdline, entry);
      if (!label) continue;
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // PostgreSQL ends a backend when a pool closes an idle connection; its CPU then moves to
      // the postmaster's children's time (cutime, cstime), which is counted so it is not lost.
      const children = label === 'postgres' ? Number(fields[13]) + Number(fields[14]) : 0;
      const ticks = Number(fields[11]) + Number(fields[12]) + children;
      result[label] = (result[label] ?? 0) + (ticks * 1000) / TICKS_PER_SECOND;
    } catch {
      // the process ended while we looked
    }
  }
  return result;
}

function labelOf(cmdline: string, pid: string): string | undefined {
  if (cmdline.includes('dist/src/main.js')) {
    const service = services.find((name) => readCwd(pid).endsWith(`/${name}`));
    return service ? `${service}#${pid}` : undefined;
  }
  if (/(^|\/)ferretdb /.test(cmdline)) return 'ferretdb';
  if (/^postgres|\/postgres /.test(cmdline)) return 'postgres';
  if (/(^|\/)etcd /.test(cmdline)) return 'etcd';
  if (cmdline.includes('beam.smp')) return 'rabbitmq';
  if (cmdline.includes('maildev')) return 'smtp (maildev)';
  if (/(^|\/)jaeger /.test(cmdline)) return 'jaeger';
  if (/(^|\/)prometheus /.test(cmdline)) return 'prometheus';
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

/** CPU per process summed per program: a service's instances together, pids dropped. */
export function perProgram(perProcess: Record<string, number>): Record<string, number> {
  const summed: Record<string, number> = {};
  for (const [label, ms] of Object.entries(perProcess)) {
    const program = label.replace(/#\d+$/, '');
    summed[program] = (summed[program] ?? 0) + ms;
  }
  return summed;
}

/** The labels of labelOf that are a database, the broker or the SMTP server. */
const STORES = ['postgres', 'ferretdb', 'rabbitmq', 'smtp (maildev)'];

/** A direct product read's cost where it is spent: product-service and the stores behind it. */
export function readCpu(cost: CpuCost): number {
  const spent = Object.entries(cost.perProcess).filter(([label]) => label.startsWith('product-service#') || label === 'ferretdb' || label === 'postgres');
  return Math.round(spent.reduce((sum, [, ms]) => sum + ms, 0) * 1000) / 1000;
}

/** A measured stretch of work: CPU ms per unit (request or order) of each process, and in all. */
export interface CpuCost {
  units: number;
  perProcess: Record<string, number>;
  total: number;
  /** Our service processes only (the rest is databases, broker, SMTP, trace and metric stores). */
  services: number;
  /**
   * The databases, the broker and the SMTP server (FerretDB and its PostgreSQL included): what a
   * unit costs below our code, which no change to the services' JavaScript can take away.
   */
  stores: number;
  /** PostgreSQL's statements (round trips) and their time per unit, per database; FerretDB's included. */
  postgres?: StatementTotals;
}

export async function measureCpu<T>(work: () => Promise<T>, units: (result: T) => number): Promise<{ result: T; cpu: CpuCost }> {
  // The statements' own query is outside the CPU window on both sides.
  const statementsBefore = await statementTotals();
  const before = processCpu();
  const result = await work();
  const count = units(result);
  const perProcess = cpuPerRequest(before, processCpu(), count);
  const statementsAfter = statementsBefore && (await statementTotals());
  const sum = (entries: Array<[string, number]>) => Math.round(entries.reduce((total, [, ms]) => total + ms, 0) * 1000) / 1000;
  return {
    result,
    cpu: {
      units: count,
      perProcess,
      total: sum(Object.entries(perProcess)),
      services: sum(Object.entries(perProcess).filter(([label]) => label.includes('#'))),
      stores: sum(Object.entries(perProcess).filter(([label]) => STORES.includes(label))),
      ...(statementsBefore && statementsAfter ? { postgres: statementsPerUnit(statementsBefore, statementsAfter, count) } : {}),
    },
  };
}

/** One line per process, largest first, for a report: "order-service 1234: 5.1". */
export function cpuLines(cost: CpuCost): string {
  return Object.entries(cost.perProcess)
    .sort(([, a], [, b]) => b - a)
    .map(([label, ms]) => `${label.replace('#', ' ')} ${ms}`)
    .join(', ');
}
