import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closedLoop, type LoadResult } from './load';
import { cpuPerRequest, processCpu } from './process-cpu';
import { adminToken, assertStackReady, gatewayUrl, productServiceUrl, productWithStock } from './stack';
import { versions } from './versions';

/**
 * `npm run bench -- discovery`: the gateway's overhead as discovery changes it. scripts/bench.sh
 * starts the stack three times — DISCOVERY=static, DISCOVERY=etcd, and etcd with two
 * product-service instances — and runs this once per stack with its label; `--report` then writes
 * results/discovery-<time>.md from the three measurements.
 */
const seconds = Number(process.env['BENCH_SECONDS'] ?? '10') * 1000;
const concurrency = 32;
const directory = path.resolve(__dirname, '../../results');
const scratch = path.join(directory, 'discovery-runs.jsonl');

interface Phase {
  load: LoadResult;
  /** CPU ms per successful request, per process (service instances by pid, infrastructure by program). */
  cpuMsPerRequest: Record<string, number>;
}

interface Run {
  label: string;
  direct: Phase;
  gateway: Phase;
  ratio: number;
}

async function measure(url: string): Promise<Phase> {
  const before = processCpu();
  const load = await closedLoop(async () => (await fetch(url)).status, { concurrency, durationMs: seconds, okStatus: 200 });
  return { load, cpuMsPerRequest: cpuPerRequest(before, processCpu(), load.ok) };
}

async function run(label: string): Promise<void> {
  await assertStackReady();
  const productId = await productWithStock(await adminToken(), 1);
  // Warm both paths (connections, JIT) before either is measured.
  await closedLoop(async () => (await fetch(`${gatewayUrl}/api/products/${productId}`)).status, { concurrency, durationMs: 2000, okStatus: 200 });
  const direct = await measure(`${productServiceUrl}/products/${productId}`);
  const gateway = await measure(`${gatewayUrl}/api/products/${productId}`);
  const result: Run = { label, direct, gateway, ratio: Math.round((gateway.load.okPerSecond / direct.load.okPerSecond) * 1000) / 1000 };
  mkdirSync(directory, { recursive: true });
  appendFileSync(scratch, `${JSON.stringify(result)}\n`);
  console.log(`[bench] ${label}: direct ${direct.load.okPerSecond}/s, gateway ${gateway.load.okPerSecond}/s, ratio ${result.ratio}`);
}

const total = (cpu: Record<string, number>) => Math.round(Object.values(cpu).reduce((sum, ms) => sum + ms, 0) * 1000) / 1000;
const byProgram = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .map(([label, ms]) => `${label.replace(/#\d+$/, (pid) => ` ${pid}`)} ${ms}`)
    .sort()
    .join(', ');

function report(): void {
  const runs = readFileSync(scratch, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Run);
  const at = new Date().toISOString();
  const rows = runs.map(
    (r) =>
      `| ${r.label} | ${r.direct.load.okPerSecond} | ${r.gateway.load.okPerSecond} | ${Math.round(r.ratio * 100)} % | ${r.gateway.load.latencyMs.p99} | ${total(r.direct.cpuMsPerRequest)} | ${total(r.gateway.cpuMsPerRequest)} | ${r.gateway.load.failed} |`,
  );
  const details = runs.map((r) => `- ${r.label}, gateway path: ${byProgram(r.gateway.cpuMsPerRequest)}\n- ${r.label}, direct path: ${byProgram(r.direct.cpuMsPerRequest)}`);
  const markdown = `# Gateway overhead with discovery — ${at}

${JSON.stringify(versions())}

${concurrency} clients, ${seconds / 1000} s per path, \`GET /products/:id\` straight to the first product-service instance vs \`GET /api/products/:id\` through the gateway.

| configuration | direct req/s | gateway req/s | gateway / direct | gateway p99 ms | CPU ms per direct read (all processes) | CPU ms per gateway read (all processes) | gateway non-200 |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

CPU ms per request, per process:

${details.join('\n')}
`;
  const stamp = at.replace(/[:.]/g, '-');
  for (const name of [`discovery-${stamp}`, 'discovery-latest']) {
    writeFileSync(path.join(directory, `${name}.md`), markdown);
    writeFileSync(path.join(directory, `${name}.json`), `${JSON.stringify({ at, versions: versions(), runs }, null, 2)}\n`);
  }
  rmSync(scratch);
  console.log(markdown);
}

const argument = process.argv[2] ?? '';
(argument === '--report' ? Promise.resolve(report()) : run(argument || 'current')).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
