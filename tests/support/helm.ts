import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './repo';

export const chartDir = path.join(repoRoot, 'deploy', 'helm', 'order-inventory');

/** The shape of a rendered object, as far as the chart test reads it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: Record<string, unknown>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}
export interface Probe {
  httpGet?: { path: string; port: number | string };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
}

/**
 * Runs scripts/k8s-tools.sh (helm and kubernetes-validate, built or installed once under .data/).
 * Throws with the tool's own output when it fails; a missing Go or Python is a failure too.
 */
export function k8sTool(args: string[], input?: string): string {
  try {
    return execFileSync('bash', [path.join(repoRoot, 'scripts', 'k8s-tools.sh'), ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      input,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`k8s-tools.sh ${args.join(' ')} failed:\n${`${failed.stderr ?? ''}${failed.stdout ?? ''}`.trim() || failed.message}`);
  }
}

export function helm(args: string[]): string {
  return k8sTool(['helm', ...args]);
}

/** `helm template` of the chart with `--set` pairs, as text. */
export function renderChart(sets: readonly string[]): string {
  return helm(['template', 'oip', chartDir, '--namespace', 'shop', ...sets.flatMap((set) => ['--set', set])]);
}

export function parseObjects(rendered: string): K8sObject[] {
  return parseAllDocuments(rendered)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

/** The newest `count` Kubernetes minor versions the installed kubernetes-validate knows, newest first. */
export function newestKubernetesVersions(count: number): string[] {
  const versions = k8sTool(['kubernetes-versions']).split('\n').filter(Boolean);
  const byMinor = new Map(versions.map((version) => [version.split('.').slice(0, 2).join('.'), version]));
  return [...byMinor.values()].slice(-count).reverse();
}

/** `kubernetes-validate --strict` of every object in `rendered`; returns the problems ('' = none). */
export function validateAgainst(version: string, rendered: string): string {
  const scratch = mkdtempSync(path.join(tmpdir(), 'oip-helm-'));
  try {
    const file = path.join(scratch, 'rendered.yaml');
    writeFileSync(file, rendered);
    try {
      k8sTool(['kubernetes-validate', '--strict', '--quiet', '-k', version, file]);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function podSpecOf(object: K8sObject): PodSpec | undefined {
  const template = (object.spec?.['template'] as { spec?: PodSpec } | undefined)?.spec;
  return template;
}

export function secretValues(secret: K8sObject): Map<string, string> {
  const values = new Map(Object.entries(secret.stringData ?? {}));
  for (const [key, value] of Object.entries(secret.data ?? {})) values.set(key, Buffer.from(value, 'base64').toString('utf8'));
  return values;
}

/** What a pod given the address 10.1.2.3 reads from a field reference. */
const fieldValues: Record<string, string> = { 'status.podIP': '10.1.2.3', 'metadata.name': 'pod-0', 'metadata.namespace': 'shop' };

/**
 * A container's environment as the kubelet builds it: envFrom first, then env in order, with
 * `$(VAR)` references expanded. A required reference to a missing object or key throws.
 */
export function resolveEnv(container: Container, objects: K8sObject[]): Map<string, string> {
  const find = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const object = source.configMapRef ? find('ConfigMap', ref?.name ?? '') : find('Secret', ref?.name ?? '');
    if (!object) throw new Error(`${container.name}: envFrom names ${ref?.name}, which the chart does not render`);
    const values = object.kind === 'Secret' ? secretValues(object) : new Map(Object.entries(object.data ?? {}));
    for (const [key, value] of values) env.set(key, value);
  }
  for (const entry of container.env ?? []) {
    const from = entry.valueFrom;
    let value: string | undefined;
    if (entry.value !== undefined) {
      value = entry.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env.get(name) ?? whole);
    } else if (from?.fieldRef) {
      value = fieldValues[from.fieldRef.fieldPath];
      if (value === undefined) throw new Error(`${container.name}: ${entry.name} reads unknown field ${from.fieldRef.fieldPath}`);
    } else {
      const ref = from?.secretKeyRef ?? from?.configMapKeyRef;
      const object = from?.secretKeyRef ? find('Secret', ref?.name ?? '') : find('ConfigMap', ref?.name ?? '');
      const values = object ? (object.kind === 'Secret' ? secretValues(object) : new Map(Object.entries(object.data ?? {}))) : new Map<string, string>();
      value = values.get(ref?.key ?? '');
      if (value === undefined && ref?.optional !== true) throw new Error(`${container.name}: ${entry.name} reads ${ref?.name}/${ref?.key}, which the chart does not render`);
    }
    if (value !== undefined) env.set(entry.name, value);
  }
  return env;
}
