import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cpuPerOrderAtRate } from './orders';
import { adminToken, assertStackReady, freshUsers } from './stack';
import { versions } from './versions';

/**
 * `npm run bench -- profile`: where each service's CPU goes under orders at a fixed rate.
 * scripts/bench.sh starts a stack whose services write V8 CPU profiles (`--cpu-prof`), runs
 * `load`, stops the stack (the profiles are written on exit) and runs `report`.
 *
 * A profile sample counts only between the two instants `load` notes: V8 stamps its samples with
 * the same monotonic clock as `process.hrtime`, so startup, the users' sign-ups and shutdown stay
 * out. Each sample is charged to the nearest frame, from the top of the stack down, that belongs
 * to a package (or to our code): a URL parse inside OpenTelemetry's http instrumentation is
 * OpenTelemetry's, not Node's. Shares of a profile's samples are wall time in JavaScript, which a
 * busy 2-core machine stretches: they are shares, not milliseconds — `npm run bench` has the CPU.
 */
interface Window {
  fromMicros: number;
  toMicros: number;
  orders: number;
  ratePerSecond: number;
  versions: Record<string, string>;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const WINDOW_FILE = 'window.json';
const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

async function load(directory: string): Promise<void> {
  const rate = Number(process.env['BENCH_TRACING_RATE'] ?? '50');
  const seconds = Number(process.env['BENCH_SECONDS'] ?? '15');
  await assertStackReady();
  const admin = await adminToken();
  const users = await freshUsers(Number(process.env['BENCH_USERS'] ?? '40'));
  const fromMicros = nowMicros();
  const { accepted } = await cpuPerOrderAtRate(admin, users, rate, seconds * 1000);
  const window: Window = { fromMicros, toMicros: nowMicros(), orders: accepted, ratePerSecond: rate, versions: versions() };
  writeFileSync(path.join(directory, WINDOW_FILE), `${JSON.stringify(window, null, 2)}\n`);
  console.log(`[bench] ${accepted} orders at ${rate}/s profiled`);
}

/** The package a frame belongs to, `ours` for this repository's code, undefined for Node's own. */
function packageOf(url: string): string | undefined {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  return url.includes('/dist/') && !url.startsWith('node:') ? 'ours' : undefined;
}

/** Share of the window's busy samples per package, and the service the profile is of. */
function shares(profile: CpuProfile, window: Window): { service: string; busyMs: number; byPackage: Map<string, number> } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const service = profile.nodes.map((node) => /\/([a-z-]+-(?:service|gateway))\/dist\/src\//.exec(node.callFrame.url)?.[1]).find(Boolean) ?? 'unknown';
  const chargedTo = new Map<number, string>();
  const charge = (id: number): string => {
    const known = chargedTo.get(id);
    if (known) return known;
    const node = nodes.get(id);
    const name = node?.callFrame.functionName ?? '';
    const own = name === '(garbage collector)' ? '(garbage collection)' : name === '(program)' ? '(V8 and Node, no JavaScript frame)' : packageOf(node?.callFrame.url ?? '');
    const above = parent.get(id);
    const result = own ?? (above === undefined ? '(Node, no package above)' : charge(above));
    chargedTo.set(id, result);
    return result;
  };
  const byPackage = new Map<string, number>();
  let busy = 0;
  let time = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    time += delta;
    if (time < window.fromMicros || time > window.toMicros) return;
    if (nodes.get(id)?.callFrame.functionName === '(idle)') return;
    busy += delta;
    const owner = charge(id);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + delta);
  });
  return { service, busyMs: busy / 1000, byPackage };
}

function report(directory: string): void {
  const window = JSON.parse(readFileSync(path.join(directory, WINDOW_FILE), 'utf8')) as Window;
  const profiles = readdirSync(directory)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => shares(JSON.parse(readFileSync(path.join(directory, name), 'utf8')) as CpuProfile, window))
    .filter((profile) => profile.busyMs > 0)
    .sort((a, b) => b.busyMs - a.busyMs);
  const percent = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0);
  const telemetry = (byPackage: Map<string, number>) => [...byPackage].filter(([name]) => /opentelemetry|shimmer|in-the-middle/.test(name)).reduce((sum, [, us]) => sum + us, 0);
  const rows = profiles.map(({ service, busyMs, byPackage }) => {
    const top = [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, us]) => `${name} ${percent(us, busyMs * 1000)} %`)
      .join(', ');
    return `| ${service} | ${percent(telemetry(byPackage), busyMs * 1000)} % | ${top} |`;
  });
  const allBusy = profiles.reduce((sum, profile) => sum + profile.busyMs * 1000, 0);
  const allTelemetry = profiles.reduce((sum, profile) => sum + telemetry(profile.byPackage), 0);
  const at = new Date().toISOString();
  const markdown = `# Bench profile — ${at}

${window.orders} orders at ${window.ratePerSecond}/s, the samples between the first POST and the saga's last answer
(${Math.round((window.toMicros - window.fromMicros) / 1e5) / 10} s). Tracing: ${window.versions['tracing']}; commit ${window.versions['commit']}.
Each sample is charged to the nearest package on its stack (bench/src/profile.ts).

| service | OpenTelemetry's share | where the samples went (largest first) |
|---|---|---|
${rows.join('\n')}

OpenTelemetry's share over all services: ${percent(allTelemetry, allBusy)} %.
`;
  const results = path.resolve(__dirname, '../../results');
  mkdirSync(results, { recursive: true });
  writeFileSync(path.join(results, `profile-${at.replace(/[:.]/g, '-')}.md`), markdown);
  console.log(markdown);
}

const [command, directory = '.'] = process.argv.slice(2);
const done = command === 'load' ? load(directory) : command === 'report' ? Promise.resolve(report(directory)) : Promise.reject(new Error('usage: profile.js load|report <profile directory>'));
done.catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
