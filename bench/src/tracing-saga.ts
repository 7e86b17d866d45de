import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLoop } from './load';
import { waitForNoPending } from './orders';
import { cpuPerRequest, perProgram, processCpu } from './process-cpu';
import { adminToken, assertStackReady, freshUsers, productWithStock, services, waitForSagaIdle } from './stack';
import { versions } from './versions';

/**
 * `npm run bench -- tracing-saga`: what tracing costs a whole order, sampled or not, measured on
 * one running stack. scripts/bench.sh starts an untraced stack, a traced one, and an untraced one
 * again, and calls `measure` on each; `report` puts them side by side.
 *
 * On the traced stack the sampling decision is the bench's, per order: orders go straight to
 * order-service with a W3C `traceparent` whose sampled flag is set for every order (100 %), for
 * one in ten (10 %) or for none (unsampled), and every service downstream follows its parent
 * (`parentbased_*`, as `npm start` runs them). So the three settings are compared in the same
 * processes, minutes and heaps: one open loop at a fixed rate, its orders taking the settings in
 * turn, a slice each (A A B B C C A C B: each follows each once), with the CPU of every process
 * read at each slice's end, and spans exported every 0.5 s rather than every 5. The
 * `tracing` mode cannot do that: its stacks restart per setting and differ by ±10–35 % between runs.
 * The gateway is left out: it starts every trace itself and ignores a caller's `traceparent`, on
 * purpose (any client could otherwise choose what is sampled); its one request span per order is
 * the smallest part of a saga's trace.
 *
 * The untraced stacks before and after give "off" (the same orders and headers, no SDK); being
 * separate stacks, their difference from the traced one carries the between-stack drift, which the
 * two of them, one on each side, show.
 */
const rate = Number(process.env['BENCH_TRACING_RATE'] ?? '50');
const sliceMs = Number(process.env['BENCH_SAGA_SLICE_SECONDS'] ?? '5') * 1000;
const rounds = Number(process.env['BENCH_ROUNDS'] ?? '4');
const orderServiceUrl = process.env['ORDER_SERVICE_URL'] ?? `http://127.0.0.1:${process.env['ORDER_SERVICE_PORT'] ?? '3003'}`;

/** The share of orders each setting samples. */
const settings = { unsampled: 0, 'sampled-10': 0.1, 'sampled-100': 1 } as const;
type Setting = keyof typeof settings | 'off';

interface Slice {
  setting: Setting;
  orders: number;
  /** CPU ms per order, per program (a service's instances summed). */
  perProgram: Record<string, number>;
}

/** A `traceparent` with a fresh trace and the given decision. */
function traceparent(sampled: boolean): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${sampled ? '01' : '00'}`;
}

/** Whether order `sequence` is sampled at `share`: evenly spread, exactly `share` of every run of orders. */
const sampledAt = (share: number, sequence: number): boolean => Math.floor((sequence + 1) * share) > Math.floor(sequence * share);

async function measure(stack: 'untraced' | 'traced', scratch: string): Promise<void> {
  await assertStackReady();
  const admin = await adminToken();
  const users = await freshUsers(8);
  const products = await Promise.all(Array.from({ length: 10 }, () => productWithStock(admin, 1_000_000)));
  // Each setting follows each setting (itself included) once per round, the last slice leading
  // into the next round's first: what one slice leaves to the next falls on all settings alike.
  const order: Setting[] =
    stack === 'traced' ? ['unsampled', 'unsampled', 'sampled-10', 'sampled-10', 'sampled-100', 'sampled-100', 'unsampled', 'sampled-100', 'sampled-10'] : Array<Setting>(9).fill('off');
  const perSlice = (rate * sliceMs) / 1000;
  if (!Number.isInteger(perSlice)) throw new Error(`BENCH_TRACING_RATE × BENCH_SAGA_SLICE_SECONDS must be a whole number of orders (${perSlice})`);
  const settingOf = (sequence: number): Setting => order[Math.floor(sequence / perSlice) % order.length]!;

  /** One open loop whose orders take the settings in turn, a slice each; answers each order's status. */
  const stream = (slices: number): Promise<number[]> =>
    openLoop(
      async (sequence) => {
        const setting = settingOf(sequence);
        const share = setting === 'off' ? 0 : settings[setting];
        // Buyer and product stride past the sampled orders' period (every tenth at 10 %), so the
        // sampled ones are not all one product's and half the buyers'.
        const pick = sequence + Math.floor(sequence / 10);
        try {
          const answer = await fetch(`${orderServiceUrl}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${users[pick % users.length]!.token}`, traceparent: traceparent(sampledAt(share, sequence)) },
            body: JSON.stringify({ items: [{ productId: products[pick % products.length], quantity: 1 }] }),
          });
          await answer.arrayBuffer();
          return answer.status;
        } catch {
          return 0; // no answer: counted as not accepted
        }
      },
      { ratePerSecond: rate, durationMs: slices * sliceMs },
    );

  await waitForSagaIdle();
  await stream(order.length); // connections, JIT, caches: one slice of each setting, not counted
  await waitForSagaIdle();

  // The load runs on without a pause, so no slice carries a drain's idle seconds; /proc is read at
  // each slice's end. An order's saga outlasts its slice by some milliseconds, so each slice holds a
  // little of the one before it (the order above spreads that evenly); one more slice after the
  // measured ones takes the last one's tail.
  const measured = rounds * order.length;
  const snapshots: Array<Record<string, number>> = [processCpu()];
  const started = performance.now();
  const load = stream(measured + 1);
  for (let index = 1; index <= measured; index += 1) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + index * sliceMs - performance.now())));
    snapshots.push(processCpu());
  }
  const statuses = await load;
  await waitForNoPending(admin, 120_000);
  await waitForSagaIdle();

  const slices: Slice[] = [];
  for (let index = 0; index < measured; index += 1) {
    const orders = statuses.slice(index * perSlice, (index + 1) * perSlice).filter((status) => status === 201).length;
    slices.push({ setting: order[index % order.length]!, orders, perProgram: perProgram(cpuPerRequest(snapshots[index]!, snapshots[index + 1]!, orders)) });
  }
  const failed = statuses.filter((status) => status !== 201).length;
  if (failed > 0) console.warn(`[bench] ${stack} stack: ${failed} orders not accepted`);
  const runs = readdirSync(scratch).length;
  writeFileSync(path.join(scratch, `${String(runs).padStart(2, '0')}-${stack}.json`), `${JSON.stringify({ stack, at: new Date().toISOString(), exportDelayMs: process.env['OTEL_BSP_SCHEDULE_DELAY'], failed, slices }, null, 2)}\n`);
}

interface Run {
  stack: string;
  at: string;
  /** OTEL_BSP_SCHEDULE_DELAY of the stack the run measured. */
  exportDelayMs?: string;
  slices: Slice[];
}

/** CPU ms per order over all slices of a setting (weighted by orders), per program. */
function perOrder(slices: Slice[]): { whole: number; services: number; perProgram: Record<string, number>; orders: number } {
  const orders = slices.reduce((sum, slice) => sum + slice.orders, 0);
  const weighted: Record<string, number> = {};
  for (const slice of slices) for (const [program, ms] of Object.entries(slice.perProgram)) weighted[program] = (weighted[program] ?? 0) + (ms * slice.orders) / orders;
  const sum = (entries: Array<[string, number]>) => entries.reduce((total, [, ms]) => total + ms, 0);
  return { whole: sum(Object.entries(weighted)), services: sum(Object.entries(weighted).filter(([program]) => (services as readonly string[]).includes(program))), perProgram: weighted, orders };
}

function report(scratch: string): void {
  const runs = readdirSync(scratch)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(path.join(scratch, name), 'utf8')) as Run);
  const offRuns = runs.filter((run) => run.stack === 'untraced');
  const traced = runs.find((run) => run.stack === 'traced');
  if (!traced || offRuns.length === 0) throw new Error(`need an untraced and a traced run in ${scratch}`);
  const columns: Array<{ label: string; cost: ReturnType<typeof perOrder> }> = [
    ...offRuns.map((run, index) => ({ label: `off (untraced stack ${index === 0 ? 'before' : 'after'})`, cost: perOrder(run.slices) })),
    ...(Object.keys(settings) as Array<keyof typeof settings>).map((setting) => ({ label: setting, cost: perOrder(traced.slices.filter((slice) => slice.setting === setting)) })),
  ];
  const off = perOrder(offRuns.flatMap((run) => run.slices));
  const unsampled = perOrder(traced.slices.filter((slice) => slice.setting === 'unsampled'));
  const fixed = (value: number) => value.toFixed(2);
  const change = (value: number, base: number) => `${value >= base ? '+' : ''}${((value / base - 1) * 100).toFixed(1)} %`;
  const programs = [...new Set(columns.flatMap(({ cost }) => Object.keys(cost.perProgram)))].sort((a, b) => (off.perProgram[b] ?? 0) - (off.perProgram[a] ?? 0));
  const row = (name: string, value: (cost: ReturnType<typeof perOrder>) => number, compare = false) =>
    `| ${name} | ${columns.map(({ label, cost }) => (compare && !label.startsWith('off') ? `${fixed(value(cost))} (${change(value(cost), value(off))} vs off${label === 'unsampled' ? '' : `, ${change(value(cost), value(unsampled))} vs unsampled`})` : fixed(value(cost)))).join(' | ')} |`;
  const at = new Date().toISOString();
  const markdown = `# Bench tracing-saga — ${at}

Commit ${versions()['commit'] ?? '?'}; orders POSTed straight to order-service at ${rate}/s without a pause, the sampling setting
changing every ${sliceMs / 1000} s; ${rounds} rounds per stack (traced stack: A A B B C C A C B); spans exported every
${traced.exportDelayMs ?? '?'} ms on the traced stack. CPU ms per order of each slice from /proc, every
process on the machine; "off" is the two untraced stacks together.

| CPU ms per order | ${columns.map(({ label }) => label).join(' | ')} |
|---|${columns.map(() => '---|').join('')}
${row('whole saga', (cost) => cost.whole, true)}
${row('our six services', (cost) => cost.services, true)}
${programs.map((program) => row(program, (cost) => cost.perProgram[program] ?? 0)).join('\n')}
| orders measured | ${columns.map(({ cost }) => cost.orders).join(' | ')} |
`;
  const directory = path.resolve(__dirname, '../../results');
  mkdirSync(directory, { recursive: true });
  const stamp = at.replace(/[:.]/g, '-');
  writeFileSync(path.join(directory, `tracing-saga-${stamp}.md`), markdown);
  writeFileSync(path.join(directory, `tracing-saga-${stamp}.json`), `${JSON.stringify({ at, rate, sliceMs, rounds, versions: versions(), runs }, null, 2)}\n`);
  console.log(markdown);
}

const [command, ...rest] = process.argv.slice(2);
const done =
  command === 'measure' && (rest[0] === 'untraced' || rest[0] === 'traced') && rest[1]
    ? measure(rest[0], rest[1])
    : command === 'report' && rest[0]
      ? Promise.resolve(report(rest[0]))
      : Promise.reject(new Error('usage: tracing-saga.js measure untraced|traced <scratch> | report <scratch>'));
done.catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
