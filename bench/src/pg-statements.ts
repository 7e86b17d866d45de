import { Client } from 'pg';

/** Statements PostgreSQL ran and their execution time (ms), per database. */
export type StatementTotals = Record<string, { statements: number; ms: number }>;

function connectionString(): string {
  if (process.env['POSTGRES_URL']) return `${process.env['POSTGRES_URL']}/postgres`;
  const user = encodeURIComponent(process.env['POSTGRES_USER'] ?? 'app');
  const password = encodeURIComponent(process.env['POSTGRES_PASSWORD'] ?? 'app');
  return `postgres://${user}:${password}@${process.env['POSTGRES_HOST'] ?? '127.0.0.1'}:${process.env['POSTGRES_PORT'] ?? '5432'}/postgres`;
}

/**
 * Every database's statements so far, from pg_stat_statements (which scripts/infra.sh loads):
 * order-service's and user-service's, and FerretDB's — each MongoDB command the services send
 * becomes one or more of those. Undefined when the view is not there (another PostgreSQL): the
 * bench then reports CPU without round trips rather than failing.
 */
export async function statementTotals(): Promise<StatementTotals | undefined> {
  const client = new Client({ connectionString: connectionString() });
  try {
    await client.connect();
    const { rows } = await client.query<{ database: string; statements: string; ms: number }>(
      `SELECT d.datname AS database, sum(s.calls)::text AS statements, sum(s.total_exec_time)::float8 AS ms
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname <> 'postgres'
        GROUP BY d.datname`,
    );
    return Object.fromEntries(rows.map((row) => [row.database, { statements: Number(row.statements), ms: row.ms }]));
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Statements and their time per unit of work between two totals, for the databases that ran any. */
export function statementsPerUnit(before: StatementTotals, after: StatementTotals, units: number): StatementTotals {
  const result: StatementTotals = {};
  for (const [database, total] of Object.entries(after)) {
    const statements = total.statements - (before[database]?.statements ?? 0);
    if (statements <= 0 || units <= 0) continue;
    const ms = total.ms - (before[database]?.ms ?? 0);
    result[database] = { statements: Math.round((statements / units) * 100) / 100, ms: Math.round((ms / units) * 1000) / 1000 };
  }
  return result;
}

/** "orders 9.7 (1.24 ms), ferretdb 29.2 (1.81 ms)", most statements first. */
export function statementLines(perUnit: StatementTotals | undefined): string {
  if (!perUnit) return 'not measured (no pg_stat_statements)';
  return Object.entries(perUnit)
    .sort(([, a], [, b]) => b.statements - a.statements)
    .map(([database, { statements, ms }]) => `${database} ${statements} (${ms} ms)`)
    .join(', ');
}
