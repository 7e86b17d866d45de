import { percentile } from './stack';

/** A closed-loop load: `concurrency` workers send requests back to back for `durationMs`. */
export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  durationSeconds: number;
  throughputPerSecond: number;
  okPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

export async function closedLoop(
  send: (worker: number, sequence: number) => Promise<number>,
  options: { concurrency: number; durationMs: number; okStatus: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + options.durationMs;
  let sequence = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        const status = await send(worker, sequence++).catch(() => 0);
        latencies.push(performance.now() - begin);
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      }
    }),
  );
  return summarise(latencies, statuses, (performance.now() - started) / 1000, options.okStatus);
}

/** An open-loop load: requests start at a fixed rate whatever the answers take (no coordinated omission). */
export async function openLoop<T>(send: (sequence: number) => Promise<T>, options: { ratePerSecond: number; durationMs: number }): Promise<T[]> {
  const total = Math.round((options.ratePerSecond * options.durationMs) / 1000);
  const interval = 1000 / options.ratePerSecond;
  const started = performance.now();
  const inFlight: Array<Promise<T>> = [];
  for (let sequence = 0; sequence < total; sequence += 1) {
    const due = started + sequence * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(sequence));
  }
  return Promise.all(inFlight);
}

export function summarise(latencies: number[], statuses: Record<string, number>, durationSeconds: number, okStatus: number): LoadResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  const ok = statuses[String(okStatus)] ?? 0;
  const requests = latencies.length;
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    requests,
    ok,
    failed: requests - ok,
    statuses,
    durationSeconds: round(durationSeconds),
    throughputPerSecond: round(requests / durationSeconds),
    okPerSecond: round(ok / durationSeconds),
    latencyMs: { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? Number.NaN) },
  };
}
