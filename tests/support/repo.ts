import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';

/** tests/dist/support/repo.js → the repository root. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Workspace folder = compose service name, with the port each listens on inside its container. */
export const appServices = {
  'api-gateway': 3000,
  'user-service': 3001,
  'product-service': 3002,
  'order-service': 3003,
  'inventory-service': 3004,
  'notification-service': 3005,
} as const;
export type AppService = keyof typeof appServices;

/** The Debian package that provides the validator; scripts/test.sh installs it for a run that includes this test. */
export const composeValidatorPackage = 'docker-compose';

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  env_file?: string | string[];
  environment?: Record<string, string | null> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: unknown[];
  volumes?: unknown[];
}
export interface ComposeFile {
  version?: unknown;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(repoRoot, relative), 'utf8');
}

/** docker-compose.yml as written (YAML merge keys resolved, no interpolation). */
export function readRawCompose(): ComposeFile {
  return parse(readRepoFile('docker-compose.yml'), { merge: true }) as ComposeFile;
}

export interface EnvExample {
  values: Map<string, string>;
  /** Variable names that appear more than once. */
  duplicates: string[];
  /** Variable names with no comment line in the block of lines directly above them. */
  uncommented: string[];
}

/** Parses .env.example as `KEY=value` lines; a variable counts as commented when a comment opens its block. */
export function readEnvExample(): EnvExample {
  const values = new Map<string, string>();
  const duplicates: string[] = [];
  const uncommented: string[] = [];
  let blockHasComment = false;
  for (const raw of readRepoFile('.env.example').split('\n')) {
    const line = raw.trim();
    if (line === '') {
      blockHasComment = false;
      continue;
    }
    if (line.startsWith('#')) {
      blockHasComment = true;
      continue;
    }
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`.env.example: not a KEY=value line: ${raw}`);
    const [, key = '', value = ''] = match;
    if (values.has(key)) duplicates.push(key);
    if (!blockHasComment) uncommented.push(key);
    values.set(key, value);
  }
  return { values, duplicates, uncommented };
}

export class ComposeValidationError extends Error {
  constructor(readonly output: string) {
    super(`docker-compose config rejected docker-compose.yml:\n${output}`);
    this.name = 'ComposeValidationError';
  }
}

/**
 * Validates docker-compose.yml with the Compose v1 CLI from Debian (`docker-compose config`):
 * schema (compose spec without `version:`, depends_on conditions, healthchecks), ${VAR}
 * interpolation, references between services, and env_file merging. It needs no Docker engine.
 * It runs in a scratch directory where `.env` is a copy of `.env.example`, which proves that
 * `cp .env.example .env` is enough, without touching a developer's own .env.
 * Returns the resolved file: every service's environment is env_file + environment, interpolated.
 */
export function resolveWithComposeCli(composeText: string = readRepoFile('docker-compose.yml')): ComposeFile {
  const cli = findOnPath('docker-compose');
  if (!cli) {
    throw new Error(
      `docker-compose (Compose v1 CLI) is not installed; it validates docker-compose.yml without a Docker engine. ` +
        `Install it with: apt-get install -y --no-install-recommends ${composeValidatorPackage}`,
    );
  }
  const scratch = mkdtempSync(path.join(tmpdir(), 'oip-compose-'));
  try {
    writeFileSync(path.join(scratch, 'docker-compose.yml'), composeText);
    copyFileSync(path.join(repoRoot, '.env.example'), path.join(scratch, '.env'));
    // Paths the file refers to (build contexts are the root itself, bind mounts live in deploy/).
    symlinkSync(path.join(repoRoot, 'deploy'), path.join(scratch, 'deploy'));
    for (const service of Object.keys(appServices)) {
      symlinkSync(path.join(repoRoot, service), path.join(scratch, service));
    }
    let output: string;
    try {
      // A bare environment: variables exported in the caller's shell must not fill gaps in .env.example.
      output = execFileSync(cli, ['--project-name', 'oip', 'config'], {
        cwd: scratch,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: scratch },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; message: string };
      throw new ComposeValidationError(`${failed.stderr ?? ''}${failed.stdout ?? ''}`.trim() || failed.message);
    }
    return parse(output) as ComposeFile;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** A service's environment as a map, whichever of the two compose syntaxes it uses. */
export function environmentOf(service: ComposeService): Map<string, string> {
  const env = new Map<string, string>();
  if (Array.isArray(service.environment)) {
    for (const entry of service.environment) {
      const at = entry.indexOf('=');
      env.set(at < 0 ? entry : entry.slice(0, at), at < 0 ? '' : entry.slice(at + 1));
    }
  } else {
    for (const [key, value] of Object.entries(service.environment ?? {})) env.set(key, value ?? '');
  }
  return env;
}

export function dependsOn(service: ComposeService): Map<string, string | undefined> {
  const deps = service.depends_on ?? {};
  return Array.isArray(deps)
    ? new Map(deps.map((name) => [name, undefined]))
    : new Map(Object.entries(deps).map(([name, spec]) => [name, spec.condition]));
}

export function healthcheckCommand(service: ComposeService): string {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

export interface LoadedConfigSchema {
  keys: string[];
  /** Parses an environment the way the platform's loadConfig does (empty = unset); returns the problems. */
  parse: (env: Record<string, string>) => string[];
}

interface ZodLike {
  safeParse(input: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } };
}

/**
 * `<service>/dist/src/config.js`'s exported `configSchema` (a zod object, possibly piped into a
 * transform). Fails, rather than skips, when the service has not built one yet.
 */
export async function loadConfigSchema(service: AppService): Promise<LoadedConfigSchema> {
  const file = path.join(repoRoot, service, 'dist', 'src', 'config.js');
  if (!existsSync(file)) {
    throw new Error(
      `${path.relative(repoRoot, file)} does not exist: ${service} must export \`configSchema\` (a zod object over ` +
        `process.env) from ${service}/src/config.ts, and the repository must be built (npm run build).`,
    );
  }
  const loaded = (await import(pathToFileURL(file).href)) as { configSchema?: unknown; default?: { configSchema?: unknown } };
  const schema = loaded.configSchema ?? loaded.default?.configSchema;
  const shape = shapeOf(schema);
  if (!shape) {
    throw new Error(`${service}/src/config.ts must export \`configSchema\` as a zod object (z.object({...})), found ${typeof schema}`);
  }
  const zod = schema as ZodLike;
  return {
    keys: Object.keys(shape),
    parse: (env) => {
      const result = zod.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
      return result.success ? [] : (result.error?.issues ?? []).map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
    },
  };
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const candidate = schema as { shape?: unknown; in?: unknown; def?: { in?: unknown; innerType?: unknown } };
  if (typeof candidate.shape === 'object' && candidate.shape !== null) return candidate.shape as Record<string, unknown>;
  // z.object(...).transform(...) is a pipe whose input is the object.
  return shapeOf(candidate.in ?? candidate.def?.in ?? candidate.def?.innerType);
}
