import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { perProgram, readCpu, type CpuCost } from './process-cpu';

/**
 * `npm run bench -- compare <revision>` / `-- tracing`: scripts/bench.sh runs run.js once per side
 * and round, interleaved, and keeps each run's JSON under its label; this writes the medians side
 * by side to results/<mode>-<time>.md (and .json), with every run's commit.
 */
interface Run {
  at: string;
  versions: Record<string, string>;
  gatewayOverhead: { direct: { load: { okPerSecond: number }; cpu: CpuCost }; gateway: { load: { okPerSecond: number }; cpu: CpuCost }; ratio: number };
  orderThroughput: { okPerSecond: number; endToEndPerSecond: number; cpuPerOrder: CpuCost };
  timeToConfirmedSustained: { ratePerSecond: number; msToFinal: { p99: number } };
  timeToConfirmed: { ratePerSecond: number; accepted: number; posted: number; msToFinal: { p99: number }; msQueuesBehind: number };
  contention: { confirmed: number; stock: number };
}

const [mode = 'compare', scratch = ''] = process.argv.slice(2);
const runs = readdirSync(scratch)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({ label: name.replace(/^\d+-/, '').replace(/\.json$/, ''), run: JSON.parse(readFileSync(path.join(scratch, name), 'utf8')) as Run }));
const labels = [...new Set(runs.map((entry) => entry.label))];

function median(values: number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return Math.round(value * 1000) / 1000;
}

const measures: Array<[string, (run: Run) => number]> = [
  ['product reads/s, direct', (r) => r.gatewayOverhead.direct.load.okPerSecond],
  ['product reads/s, through the gateway', (r) => r.gatewayOverhead.gateway.load.okPerSecond],
  ['gateway / direct', (r) => r.gatewayOverhead.ratio],
  ['CPU ms per direct read, product-service + databases', (r) => readCpu(r.gatewayOverhead.direct.cpu)],
  ['CPU ms per gateway read, all processes', (r) => r.gatewayOverhead.gateway.cpu.total],
  ['orders accepted/s (closed loop of 32)', (r) => r.orderThroughput.okPerSecond],
  ['orders/s end to end', (r) => r.orderThroughput.endToEndPerSecond],
  ['CPU ms per order, whole saga', (r) => r.orderThroughput.cpuPerOrder.total],
  ['CPU ms per order, our services', (r) => r.orderThroughput.cpuPerOrder.services],
  ['CPU ms per order, databases, broker and SMTP', (r) => r.orderThroughput.cpuPerOrder.stores],
  ['POST → CONFIRMED p99 ms at the sustained rate', (r) => r.timeToConfirmedSustained.msToFinal.p99],
  ['POST → CONFIRMED p99 ms at 100 orders/s', (r) => r.timeToConfirmed.msToFinal.p99],
  ['ms until every queue is empty after the answers at 100 orders/s (mostly e-mails)', (r) => r.timeToConfirmed.msQueuesBehind],
  ['share of the 100 orders/s accepted', (r) => r.timeToConfirmed.accepted / r.timeToConfirmed.posted],
  ['contention: confirmed − stock (must be 0)', (r) => r.contention.confirmed - r.contention.stock],
];

const sideRuns = (label: string) => runs.filter((entry) => entry.label === label).map((entry) => entry.run);
const table = measures.map(([name, pick]) => `| ${name} | ${labels.map((label) => median(sideRuns(label).map(pick))).join(' | ')} |`);

/** Per process (labels without pids, instances of one service summed), median CPU ms per order. */
function processMedians(label: string): Record<string, number> {
  const perRun = sideRuns(label).map((run) => perProgram(run.orderThroughput.cpuPerOrder.perProcess));
  const programs = [...new Set(perRun.flatMap((summed) => Object.keys(summed)))];
  return Object.fromEntries(programs.map((program) => [program, median(perRun.map((summed) => summed[program] ?? 0))]));
}
const perProcess = Object.fromEntries(labels.map((label) => [label, processMedians(label)]));
const programs = [...new Set(Object.values(perProcess).flatMap((medians) => Object.keys(medians)))].sort(
  (a, b) => (perProcess[labels[0] ?? '']?.[b] ?? 0) - (perProcess[labels[0] ?? '']?.[a] ?? 0),
);
const processRows = programs.map((program) => `| ${program} | ${labels.map((label) => perProcess[label]?.[program] ?? '—').join(' | ')} |`);

const at = new Date().toISOString();
const header = `| measure (median of the runs) | ${labels.join(' | ')} |\n|---|${labels.map(() => '---|').join('')}`;
const markdown = `# Bench ${mode} — ${at}

Interleaved runs (${runs.map((entry) => entry.label).join(', ')}), each on a stack started for it
(NODE_ENV=production, JSON logs at info to a file). Commits: ${labels.map((label) => `${label} ${sideRuns(label)[0]?.versions['commit'] ?? '?'}`).join(', ')}.

${header}
${table.join('\n')}

CPU ms per order, whole saga, per process (median):

| process | ${labels.join(' | ')} |
|---|${labels.map(() => '---|').join('')}
${processRows.join('\n')}
`;
const directory = path.resolve(__dirname, '../../results');
const stamp = at.replace(/[:.]/g, '-');
writeFileSync(path.join(directory, `${mode}-${stamp}.md`), markdown);
writeFileSync(path.join(directory, `${mode}-${stamp}.json`), `${JSON.stringify({ at, runs }, null, 2)}\n`);
console.log(markdown);
