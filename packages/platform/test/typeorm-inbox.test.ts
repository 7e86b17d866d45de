import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertTestDatabaseName, testInfra } from '@oip/testkit';
import { DataSource } from 'typeorm';
import { createInboxTable, eventToRecord, INBOX_TABLE, transactionManager, TransactionNeeded, typeormIdempotency } from '../src/outbox';

const infra = testInfra();
const schema = `inbox_test_${randomUUID().slice(0, 8)}`;

/** The PostgreSQL inbox with a one-statement first try: each event's effect happens once, whichever path it takes. */
describe('typeormIdempotency with oneStatementFirst', () => {
  let dataSource: DataSource;
  const idempotency = () => typeormIdempotency(dataSource, { oneStatementFirst: true });
  const effects = async (eventId: string) =>
    (await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM effects WHERE event_id = $1`, [eventId]))[0]?.n;

  /** The one-statement effect a handler's first try makes: the effect and the inbox row together, nothing if the row exists. */
  const recordInOneStatement = (inbox: { consumer: string; eventId: string }) =>
    dataSource.query(
      `WITH recorded AS (INSERT INTO ${INBOX_TABLE} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id)
       INSERT INTO effects (event_id) SELECT event_id FROM recorded`,
      [inbox.consumer, inbox.eventId],
    );

  before(async () => {
    dataSource = new DataSource({
      type: 'postgres',
      ...infra.postgres,
      username: infra.postgres.user,
      database: assertTestDatabaseName('users_test'),
      extra: { options: `-c search_path=${schema}` },
    });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA ${schema}`);
    const runner = dataSource.createQueryRunner();
    await runner.query(`SET search_path = ${schema}`);
    await createInboxTable(runner);
    await runner.query(`CREATE TABLE effects (event_id text NOT NULL)`);
    await runner.release();
  });

  after(async () => {
    await dataSource.query(`DROP SCHEMA ${schema} CASCADE`);
    await dataSource.destroy();
  });

  it('When the first try records the event in its own statement, then a redelivery is a duplicate and the effect happened once', async () => {
    const eventId = randomUUID();
    const handler = async () => {
      const inbox = eventToRecord();
      if (!inbox) throw new Error('expected the first try, outside a transaction');
      await recordInOneStatement(inbox);
    };

    const first = await idempotency().run('inbox-test', eventId, handler);
    const again = await idempotency().run('inbox-test', eventId, async () => {
      // The redelivery's first try changes nothing (the row exists) and asks for the transaction.
      await recordInOneStatement(eventToRecord() ?? { consumer: 'none', eventId: 'none' });
      throw new TransactionNeeded();
    });

    assert.deepEqual([first, again, await effects(eventId)], ['processed', 'duplicate', 1]);
  });

  it('When the handler asks for the transaction on its first try, then it runs again inside it with the event recorded, once', async () => {
    const eventId = randomUUID();
    const seen: string[] = [];
    const handler = async () => {
      seen.push(eventToRecord() ? 'first try' : 'transaction');
      const manager = transactionManager(dataSource);
      await manager.query(`INSERT INTO effects (event_id) VALUES ($1)`, [eventId]);
    };

    const first = await idempotency().run('inbox-test', eventId, handler);
    const again = await idempotency().run('inbox-test', eventId, handler);

    assert.deepEqual([first, again, await effects(eventId)], ['processed', 'duplicate', 1]);
    assert.deepEqual(seen, ['first try', 'transaction', 'first try']);
  });

  it('When the first try fails for another reason, then the error is the handler\'s and nothing is recorded', async () => {
    const eventId = randomUUID();

    await assert.rejects(idempotency().run('inbox-test', eventId, () => Promise.reject(new Error('broken'))), /broken/);

    const [row] = await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${INBOX_TABLE} WHERE event_id = $1`, [eventId]);
    assert.equal(row?.n, 0);
  });
});
