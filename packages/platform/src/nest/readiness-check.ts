import type { FactoryProvider, InjectionToken } from '@nestjs/common';
import { HealthRegistry, type HealthCheck } from '../health';

/**
 * A provider that adds a named readiness check, built from whatever Nest injects (a DataSource, a
 * client), to the platform's registry when the container starts. A service's health module then
 * says only which dependencies it has, e.g.
 * `readinessCheck('database', [DataSource], (dataSource: DataSource) => () => dataSource.query('SELECT 1'))`.
 */
export function readinessCheck<Deps extends unknown[]>(
  name: string,
  inject: { [K in keyof Deps]: InjectionToken },
  check: (...deps: Deps) => HealthCheck,
): FactoryProvider<string> {
  return {
    provide: `readiness-check:${name}`,
    inject: [HealthRegistry, ...inject],
    useFactory: (health: HealthRegistry, ...deps: unknown[]) => {
      health.register(name, check(...(deps as Deps)));
      return name;
    },
  };
}
