import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** What a reader needs to reproduce a run: runtime, infrastructure and the main libraries. */
export function versions(): Record<string, string> {
  // The services measured may be another checkout's (bench compare runs them with SERVICES_ROOT).
  const services = process.env['SERVICES_ROOT'] || root;
  // The bench's own results (latest.*) change with every run: they do not make the code dirty.
  const dirty = run('git', ['-C', services, 'status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results']);
  return {
    commit: `${run('git', ['-C', services, 'rev-parse', '--short', 'HEAD'])}${dirty && dirty !== 'unknown' ? ' + uncommitted changes' : ''}`,
    tracing: process.env['TRACING'] === '0' ? 'off' : `on, ${process.env['OTEL_TRACES_SAMPLER'] ?? 'parentbased_always_on'}${process.env['OTEL_TRACES_SAMPLER_ARG'] ? ` ${process.env['OTEL_TRACES_SAMPLER_ARG']}` : ''}`,
    node: process.version,
    ferretdb: /version: (\S+)/.exec(run(path.join(root, '.data/bin/ferretdb'), ['--version']))?.[1] ?? 'unknown',
    postgresql: run('dpkg-query', ['-W', '-f=${Version}', 'postgresql']),
    rabbitmq: run('dpkg-query', ['-W', '-f=${Version}', 'rabbitmq-server']),
    ...Object.fromEntries(['@nestjs/core', 'typeorm', 'mongoose', 'express', 'amqplib', 'pg'].map((name) => [name, packageVersion(name)])),
  };
}
