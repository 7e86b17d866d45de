import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gatewayOverhead } from './gateway-overhead';
import { statementLines } from './pg-statements';
import { cpuLines, measureCpu, readCpu, type CpuCost } from './process-cpu';
import { contention, orderThroughput, timeToConfirmed } from './orders';
import { adminToken, assertStackReady, freshUsers, serviceRss, services, waitForSagaIdle } from './stack';
import { versions } from './versions';

/**
 * npm run bench: measures the running local stack and writes bench/results/<time>.json and .md
 * (and latest.*). Numbers, not assertions: the targets are printed beside what was measured.
 */
const seconds = Number(process.env['BENCH_SECONDS'] ?? '10') * 1000;
/** A rate below what the saga sustains on our 2 cores, to show its latency when not overloaded. */
const sustainedRate = Number(process.env['BENCH_SUSTAINED_RATE'] ?? '25');
const idleSeconds = Number(process.env['BENCH_IDLE_SECONDS'] ?? '10');

async function main(): Promise<void> {
  await assertStackReady();
  const idle = serviceRss();
  const peak: Record<string, number> = { ...idle };
  const sampler = setInterval(() => {
    for (const [service, rss] of Object.entries(serviceRss())) peak[service] = Math.max(peak[service] ?? 0, rss);
  }, 250);

  const admin = await adminToken();
  console.log('[bench] creating users');
  const users = await freshUsers(Number(process.env['BENCH_USERS'] ?? '40'));
  console.log('[bench] gateway overhead');
  const overhead = await gatewayOverhead(admin, seconds, 32);
  console.log('[bench] order throughput');
  const throughput = await orderThroughput(admin, users, seconds, 32);
  // Notifications of the last phase may still be going out: each phase starts on a quiet system.
  await waitForSagaIdle();
  console.log(`[bench] POST-to-CONFIRMED at ${sustainedRate} orders/s`);
  const sustained = await timeToConfirmed(admin, users, sustainedRate, seconds);
  await waitForSagaIdle();
  console.log('[bench] POST-to-CONFIRMED at 100 orders/s');
  const confirmation = await timeToConfirmed(admin, users, 100, seconds);
  await waitForSagaIdle();
  console.log('[bench] contention');
  const contended = await contention(admin, users, 10, 200);
  clearInterval(sampler);
  await waitForSagaIdle();
  // What the stack costs with nothing asked of it (heartbeats, polls, timers), per second: it is
  // inside every "per order" figure measured at a fixed rate, and all a quiet deployment pays.
  console.log(`[bench] idle for ${idleSeconds} s`);
  const { cpu: idleCpu } = await measureCpu(() => new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000)), () => idleSeconds);

  const result = {
    at: new Date().toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    versions: versions(),
    gatewayOverhead: overhead,
    orderThroughput: throughput,
    timeToConfirmedSustained: sustained,
    timeToConfirmed: confirmation,
    contention: contended,
    idleCpuPerSecond: idleCpu,
    memoryMiB: Object.fromEntries(services.map((service) => [service, { idle: idle[service], peak: peak[service] }])),
  };
  const directory = path.resolve(__dirname, '../../results');
  mkdirSync(directory, { recursive: true });
  const stamp = result.at.replace(/[:.]/g, '-');
  const markdown = report(result);
  for (const name of [stamp, 'latest']) {
    writeFileSync(path.join(directory, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(directory, `${name}.md`), markdown);
  }
  console.log(markdown);
}

/** Milliseconds as seconds with one decimal. */
const seconds1 = (ms: number): number => Math.round(ms / 100) / 10;

function report(r: {
  at: string;
  machine: { cores: number; cpu: string | undefined; node: string; memoryGiB: number };
  versions: Record<string, string>;
  gatewayOverhead: Awaited<ReturnType<typeof gatewayOverhead>>;
  orderThroughput: Awaited<ReturnType<typeof orderThroughput>>;
  timeToConfirmedSustained: Awaited<ReturnType<typeof timeToConfirmed>>;
  timeToConfirmed: Awaited<ReturnType<typeof timeToConfirmed>>;
  contention: Awaited<ReturnType<typeof contention>>;
  idleCpuPerSecond: CpuCost;
  memoryMiB: Record<string, { idle: number | undefined; peak: number | undefined }>;
}): string {
  const o = r.gatewayOverhead;
  const t = r.orderThroughput;
  const c = r.timeToConfirmed;
  const s = r.timeToConfirmedSustained;
  const memoryRows = Object.entries(r.memoryMiB).map(([service, m]) => `| ${service} | ${m.idle ?? '—'} | ${m.peak ?? '—'} | ≤ 200 |`);
  return `# Benchmark ${r.at}

${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memoryGiB} GiB; the whole stack local (npm start).
Versions: ${Object.entries(r.versions).map(([name, version]) => `${name} ${version}`).join(', ')}.

| measure | result | target |
|---|---|---|
| product read direct to product-service | ${o.direct.load.okPerSecond} req/s (p99 ${o.direct.load.latencyMs.p99} ms) | — |
| product read through the gateway | ${o.gateway.load.okPerSecond} req/s (p99 ${o.gateway.load.latencyMs.p99} ms) | ≥ 80 % of direct |
| gateway / direct | ${Math.round(o.ratio * 100)} % | ≥ 80 % |
| CPU per direct read, product-service + databases | ${readCpu(o.direct.cpu)} ms (all processes ${o.direct.cpu.total} ms) | ≤ 1.0 ms |
| CPU per gateway read, all processes | ${o.gateway.cpu.total} ms | — |
| orders accepted (closed loop, 32 clients) | ${t.okPerSecond} orders/s; statuses ${JSON.stringify(t.statuses)} | — |
| POST /api/orders latency | p50 ${t.latencyMs.p50} ms, p95 ${t.latencyMs.p95} ms, p99 ${t.latencyMs.p99} ms | — |
| orders carried through the saga (accepted ÷ time until the last was answered) | ${t.endToEndPerSecond} orders/s (all answered ${Math.round(t.msUntilAllAnswered / 100) / 10} s after the loop began) | ≥ 130 /s |
| CPU per order, whole saga until every queue is empty | ${t.cpuPerOrder.total} ms (our services ${t.cpuPerOrder.services} ms; databases, broker and SMTP ${t.cpuPerOrder.stores} ms) | ≤ 20 ms (services ≤ 8 ms) |
| POST → CONFIRMED at ${s.ratePerSecond} orders/s | p50 ${s.msToFinal.p50} ms, p99 ${s.msToFinal.p99} ms (${s.posted} posted, statuses ${JSON.stringify(s.statuses)}, ${s.confirmed} confirmed, ${s.rejected} rejected, ${s.stillPending} pending; every queue empty ${seconds1(s.msQueuesBehind)} s after all were seen answered) | — |
| POST → CONFIRMED at ${c.ratePerSecond} orders/s | p50 ${c.msToFinal.p50} ms, p99 ${c.msToFinal.p99} ms (${c.posted} posted, statuses ${JSON.stringify(c.statuses)}, ${c.accepted} accepted: ${c.confirmed} confirmed, ${c.rejected} rejected, ${c.stillPending} pending; every queue empty ${seconds1(c.msQueuesBehind)} s after all were seen answered) | p99 ≤ 1000 ms |
| contention: ${r.contention.buyers} buyers for ${r.contention.stock} units | ${r.contention.confirmed} confirmed, ${r.contention.rejected} rejected; final on hand ${r.contention.finalStock.onHand}, reserved ${r.contention.finalStock.reserved}, available ${r.contention.finalStock.available}; ${r.contention.buyers - r.contention.confirmed - r.contention.rejected} orders not accepted | confirmed = stock |

CPU ms per unit, per process (service instances by pid; databases, broker, SMTP, Jaeger and
Prometheus by program):

- direct read: ${cpuLines(o.direct.cpu)}
- gateway read: ${cpuLines(o.gateway.cpu)}
- order, whole saga: ${cpuLines(t.cpuPerOrder)}
- idle, per second with nothing asked (${r.idleCpuPerSecond.total} ms in all, our services ${r.idleCpuPerSecond.services}, databases, broker and SMTP ${r.idleCpuPerSecond.stores}): ${cpuLines(r.idleCpuPerSecond)}

PostgreSQL statements (round trips) per unit and their execution time, per database (FerretDB's
are the MongoDB side: each command is one or more, each write in a transaction of its own):

- direct read: ${statementLines(o.direct.cpu.postgres)}
- gateway read: ${statementLines(o.gateway.cpu.postgres)}
- order, whole saga: ${statementLines(t.cpuPerOrder.postgres)}
- idle, per second: ${statementLines(r.idleCpuPerSecond.postgres)}

| service | RSS idle (MiB) | RSS peak (MiB) | target |
|---|---|---|---|
${memoryRows.join('\n')}
`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
