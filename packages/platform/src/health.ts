/**
 * Readiness is the conjunction of named dependency checks (database, broker, ...). A check that
 * throws or takes longer than its timeout marks the service not ready; liveness only says the
 * process answers. A check registered as `degradable` (the service registry) reports `degraded`
 * when it fails but leaves the service ready: the instance can still do its work.
 */
export type HealthCheck = () => Promise<void> | void;

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, { status: 'up' | 'down' | 'degraded'; error?: string }>;
}

export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly degradable = new Set<string>();
  private draining = false;

  constructor(private readonly timeoutMs = 2000) {}

  register(name: string, check: HealthCheck, options: { degradable?: boolean } = {}): this {
    this.checks.set(name, check);
    if (options.degradable) this.degradable.add(name);
    return this;
  }

  /** During shutdown the service reports not-ready so load balancers stop sending work. */
  markDraining(): void {
    this.draining = true;
  }

  async readiness(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        const result = await this.run(check);
        return [name, result.status === 'down' && this.degradable.has(name) ? { ...result, status: 'degraded' as const } : result] as const;
      }),
    );
    const checks = Object.fromEntries(entries);
    if (this.draining) checks['shutdown'] = { status: 'down', error: 'draining' };
    const allUp = Object.values(checks).every((result) => result.status !== 'down');
    return { status: allUp ? 'ok' : 'unavailable', checks };
  }

  private async run(check: HealthCheck): Promise<{ status: 'up' | 'down'; error?: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([Promise.resolve().then(check), timeout]);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
