import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './infrastructure';
import { freePort } from './service-process';
import { waitFor } from './wait';

export interface TestPrometheus {
  url: string;
  /** Prometheus' instant query API: the vector's samples as label sets and values. */
  query(expression: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus (Debian's package, installed by scripts/infra.sh) with the repository's
 * deploy/prometheus/prometheus.yml, pointed at `gatewayUrl` for discovery and scraping every second,
 * on a free port with its data in a temporary directory.
 */
export async function startPrometheus(options: { gatewayUrl: string; metricsToken: string }): Promise<TestPrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));
  writeFileSync(path.join(dir, 'metrics-token'), options.metricsToken, { mode: 0o600 });
  const config = readFileSync(path.join(repoRoot, 'deploy/prometheus/prometheus.yml'), 'utf8')
    .replaceAll('http://api-gateway:3000', options.gatewayUrl)
    .replaceAll('credentials_file: metrics-token', `credentials_file: ${path.join(dir, 'metrics-token')}`)
    .replace(/^ {2}- alerts\.yml$/m, `  - ${path.join(repoRoot, 'deploy/prometheus/alerts.yml')}`)
    .replace(/(scrape_interval|evaluation_interval|refresh_interval): 15s/g, '$1: 1s');
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const spawnFailure = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = waitFor(async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 20_000);
  const outcome = await Promise.race([ready.then(() => undefined), spawnFailure]).catch((error: unknown) => error);
  if (outcome instanceof Error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`prometheus did not start (install it: bash scripts/infra.sh install): ${outcome.message}\n${output}`);
  }
  return {
    url,
    output: () => output,
    async query(expression) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expression)}`);
      const body = (await response.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expression} failed: ${JSON.stringify(body)}`);
      return body.data.result.map((sample) => ({ metric: sample.metric, value: Number(sample.value[1]) }));
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
