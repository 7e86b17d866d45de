import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { repoRoot } from './infrastructure';
import { waitFor } from './wait';

/**
 * A service started the way production starts it: its compiled entry point in its own Node
 * process, configured only through the environment. Output is kept for assertions.
 */
export interface ServiceProcess {
  url: string;
  port: number;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function spawnService(service: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  // The tracing preload, as scripts/start.sh and the Dockerfiles start a service (a no-op without OTEL_EXPORTER_OTLP_ENDPOINT).
  const child = spawn(process.execPath, ['--require', '@oip/platform/telemetry', path.join(repoRoot, service, 'dist/src/main.js')], {
    cwd: path.join(repoRoot, service),
    // Static discovery unless a test asks for the registry: a suite wires its services by URL, and
    // must not find another suite's instances in the shared etcd.
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', DISCOVERY: 'static', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * Starts a service and waits until it answers `/health/live`: on a free port, or on `port` when
 * the caller must know the address first (a JWKS URL, a restart on the same address).
 */
export async function startService(service: string, portVariable: string, env: Record<string, string>, port?: number): Promise<ServiceProcess> {
  port ??= await freePort();
  const { child, output, exited } = spawnService(service, { ...env, [portVariable]: String(port) });
  const url = `http://127.0.0.1:${port}`;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  try {
    await waitFor(async () => {
      if (exitCode !== undefined) throw new Error(`exited with ${exitCode}`);
      const response = await fetch(`${url}/health/live`).catch(() => undefined);
      return response?.ok ? true : undefined;
    }, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${service} did not start: ${String(error)}\n${output()}`);
  }
  const signal = async (name: NodeJS.Signals) => {
    if (exitCode === undefined) child.kill(name);
    return exited;
  };
  return { url, port, pid: child.pid ?? 0, output, exited, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}
