import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIGRATION_LOCK_KEY } from '@oip/platform/nest';
import { assertTestDatabaseName, testInfra, waitFor } from '@oip/testkit';
import { Client } from 'pg';
import { ORDER_DB } from './support';

const serviceRoot = path.resolve(__dirname, '..', '..');
const migrationFiles = readdirSync(path.join(serviceRoot, 'dist', 'src', 'database', 'migrations')).filter((file) => file.endsWith('.js'));

/** `node dist/src/migrate.js`, what the Helm chart's init container runs, against one database. */
function migrate(database: string): { exited: Promise<number | null>; output: () => string } {
  const { postgres } = testInfra();
  const child = spawn(process.execPath, [path.join(serviceRoot, 'dist', 'src', 'migrate.js')], {
    cwd: serviceRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      POSTGRES_HOST: postgres.host,
      POSTGRES_PORT: String(postgres.port),
      POSTGRES_USER: postgres.user,
      POSTGRES_PASSWORD: postgres.password,
      ORDER_DB_NAME: database,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { exited: new Promise((resolve) => child.on('exit', resolve)), output: () => output };
}

describe('order-service migrate.js (the Helm chart runs it in every pod before the service)', () => {
  const databases: string[] = [];
  let admin: Client;

  before(async () => {
    admin = new Client({ ...testInfra().postgres, database: ORDER_DB });
    await admin.connect();
  });

  after(async () => {
    for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });

  async function emptyDatabase(): Promise<string> {
    const database = assertTestDatabaseName(`orders_migrate_${randomUUID().slice(0, 8)}_test`);
    await admin.query(`CREATE DATABASE "${database}"`);
    databases.push(database);
    return database;
  }

  async function appliedMigrations(database: string): Promise<string[]> {
    const db = new Client({ ...testInfra().postgres, database });
    await db.connect();
    try {
      const table = await db.query<{ exists: boolean }>(`SELECT to_regclass('public.migrations') IS NOT NULL AS exists`);
      if (!table.rows[0]?.exists) return [];
      return (await db.query<{ name: string }>('SELECT name FROM migrations ORDER BY id')).rows.map((row) => row.name);
    } finally {
      await db.end();
    }
  }

  it('When three pods migrate an empty database at once, then all exit 0 and each migration is applied exactly once', async () => {
    const database = await emptyDatabase();

    const runs = [migrate(database), migrate(database), migrate(database)];
    const codes = await Promise.all(runs.map((run) => run.exited));

    assert.deepEqual(codes, [0, 0, 0], runs.map((run) => run.output()).join('\n'));
    const applied = await appliedMigrations(database);
    assert.equal(applied.length, migrationFiles.length);
    assert.equal(new Set(applied).size, applied.length, `applied twice: ${applied.join(', ')}`);
    assert.equal(runs.filter((run) => run.output().includes('"msg":"migrations applied"')).length, 1, 'one pod applies, the others find nothing pending');
  });

  it('When another holds the migration lock, then migrate waits without applying anything, and applies once it is released', async () => {
    const database = await emptyDatabase();
    const holder = new Client({ ...testInfra().postgres, database });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);

    const run = migrate(database);
    await waitFor(async () => {
      const waiting = await admin.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_lock%' AND pid <> $2`,
        [database, (holder as Client & { processID: number }).processID],
      );
      return waiting.rowCount ? true : undefined;
    });
    assert.deepEqual(await appliedMigrations(database), [], 'nothing is applied while the lock is held');

    await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    await holder.end();

    assert.equal(await run.exited, 0, run.output());
    assert.equal((await appliedMigrations(database)).length, migrationFiles.length);
  });

  it('When the database cannot be reached, then migrate exits 1 and says why', async () => {
    const run = migrate(assertTestDatabaseName(`orders_missing_${randomUUID().slice(0, 8)}_test`));

    assert.equal(await run.exited, 1);
    assert.match(run.output(), /migration failed/);
  });
});
