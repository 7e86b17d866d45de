import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLoop } from './load';
import { processCpu } from './process-cpu';
import { adminToken, assertStackReady, productWithStock } from './stack';
import { versions } from './versions';

/**
 * `npm run bench -- tracing-pair`: what tracing costs one request, measured side by side.
 * scripts/bench.sh starts a stack without tracing and, beside it, product-service instances that
 * differ only in tracing (off, 10 %, 100 % sampled), each passed here as `label=port=pid`. They
 * are read in turns — short slices at one fixed rate, in the order A B C C B A, for BENCH_ROUNDS
 * rounds — so that the machine's drift (±10–35 % between whole-stack runs on a shared 2-core VM)
 * falls on all of them alike; two untraced instances measured this way differ by about 1 %.
 *
 * A direct read is a trace's root: the instance's own sampler decides, as the gateway does for
 * every request. CPU per read is the instance's own (user + system, from /proc), so what tracing
 * costs the database and the trace store is not in it; `npm run bench -- tracing` has the saga's.
 */
interface Instance {
  label: string;
  port: number;
  pid: string;
}

const rate = Number(process.env['BENCH_PAIR_RATE'] ?? '300');
const sliceMs = Number(process.env['BENCH_PAIR_SLICE_SECONDS'] ?? '3') * 1000;
const rounds = Number(process.env['BENCH_ROUNDS'] ?? '10');

function instanceCpuMs(pid: string): number {
  const entry = Object.entries(processCpu()).find(([label]) => label.endsWith(`#${pid}`));
  if (!entry) throw new Error(`product-service ${pid} is not running`);
  return entry[1];
}

async function main(): Promise<void> {
  const instances: Instance[] = process.argv.slice(2).map((argument) => {
    const [label = '', port = '', pid = ''] = argument.split('=');
    return { label, port: Number(port), pid };
  });
  if (instances.length < 2) throw new Error('usage: tracing-pair.js <label>=<port>=<pid> …');
  await assertStackReady();
  const productId = await productWithStock(await adminToken(), 1);
  const totals = new Map(instances.map((instance) => [instance.label, { cpuMs: 0, reads: 0, failed: 0 }]));

  const slice = async (instance: Instance, durationMs: number) => {
    const url = `http://127.0.0.1:${instance.port}/products/${productId}`;
    const before = instanceCpuMs(instance.pid);
    const statuses = await openLoop(async () => (await fetch(url)).status, { ratePerSecond: rate, durationMs });
    // The last answers' work (and /proc's 10 ms ticks) settle before the CPU is read.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ok = statuses.filter((status) => status === 200).length;
    return { cpuMs: instanceCpuMs(instance.pid) - before, reads: ok, failed: statuses.length - ok };
  };

  for (const instance of instances) await slice(instance, 4000); // connections, JIT
  const order = [...instances, ...[...instances].reverse()];
  for (let round = 1; round <= rounds; round += 1) {
    for (const instance of order) {
      const measured = await slice(instance, sliceMs);
      const total = totals.get(instance.label)!;
      total.cpuMs += measured.cpuMs;
      total.reads += measured.reads;
      total.failed += measured.failed;
    }
    console.log(`[bench] round ${round}/${rounds}`);
  }

  const base = instances[0]!.label;
  const microsPerRead = (label: string) => { const total = totals.get(label)!; return Math.round((total.cpuMs / total.reads) * 10000) / 10; };
  const rows = instances.map(({ label }) => {
    const change = label === base ? '—' : `${((microsPerRead(label) / microsPerRead(base) - 1) * 100).toFixed(1)} %`;
    const total = totals.get(label)!;
    return `| ${label} | ${microsPerRead(label)} µs | ${change} | ${total.reads} | ${total.failed} |`;
  });
  const at = new Date().toISOString();
  const markdown = `# Bench tracing-pair — ${at}

product-service instances side by side on one stack (commit ${versions()['commit'] ?? '?'}), direct reads of one product at ${rate}/s
in ${sliceMs / 1000} s slices, ${rounds} rounds in the order ${order.map(({ label }) => label).join(' ')}.

| instance | CPU per read | against ${base} | reads | failed |
|---|---|---|---|---|
${rows.join('\n')}
`;
  const directory = path.resolve(__dirname, '../../results');
  mkdirSync(directory, { recursive: true });
  const stamp = at.replace(/[:.]/g, '-');
  writeFileSync(path.join(directory, `tracing-pair-${stamp}.md`), markdown);
  writeFileSync(path.join(directory, `tracing-pair-${stamp}.json`), `${JSON.stringify({ at, rate, sliceMs, rounds, versions: versions(), instances: Object.fromEntries(totals) }, null, 2)}\n`);
  console.log(markdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
