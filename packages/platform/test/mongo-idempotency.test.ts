import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mongoose, { type Connection, type mongo } from 'mongoose';
import { assertTestDatabaseName, testInfra } from '@oip/testkit';
import { EventInProgressError } from '../src/messaging';
import { mongoIdempotency } from '../src/mongo';

describe('mongoIdempotency against a real MongoDB-wire server', () => {
  let db: Connection;

  before(async () => {
    db = await mongoose.createConnection(testInfra().mongoUrl, { dbName: assertTestDatabaseName('platform_idempotency_test'), retryWrites: false }).asPromise();
  });

  after(async () => {
    await db.dropDatabase();
    await db.close();
  });

  const markers = () => db.collection<{ _id: string; leaseUntil?: Date }>('processed_events');

  it('When a claim is held and its lease is live, then another delivery is told to wait and runs nothing', async () => {
    const idempotency = mongoIdempotency(db);
    const eventId = randomUUID();
    await markers().insertOne({ _id: `c:${eventId}`, leaseUntil: new Date(Date.now() + 60_000) });
    let runs = 0;

    await assert.rejects(
      idempotency.run('c', eventId, async () => {
        runs += 1;
      }),
      EventInProgressError,
    );
    assert.equal(runs, 0);
  });

  it('When a claim and then its taker both crashed (expired leases), then the next delivery takes over and runs the effect once', async () => {
    const idempotency = mongoIdempotency(db);
    const eventId = randomUUID();
    const past = Date.now() - 1000;
    await markers().insertOne({ _id: `c:${eventId}`, leaseUntil: new Date(past) });
    await markers().insertOne({ _id: `c:${eventId}>${past}`, leaseUntil: new Date(past - 1) });
    let runs = 0;
    const effect = async () => {
      runs += 1;
    };

    const first = await idempotency.run('c', eventId, effect);
    const again = await idempotency.run('c', eventId, effect);

    assert.equal(first, 'processed');
    assert.equal(again, 'duplicate');
    assert.equal(runs, 1);
  });

  it('When the effect fails, then the claim is released and the next delivery runs it', async () => {
    const idempotency = mongoIdempotency(db);
    const eventId = randomUUID();
    let runs = 0;

    await assert.rejects(
      idempotency.run('c', eventId, async () => {
        runs += 1;
        throw new Error('boom');
      }),
      /boom/,
    );
    const retried = await idempotency.run('c', eventId, async () => {
      runs += 1;
    });
    const duplicate = await idempotency.run('c', eventId, async () => {
      runs += 1;
    });

    assert.deepEqual([retried, duplicate, runs], ['processed', 'duplicate', 2]);
  });

  it('When a holder was only slow and finished after its claim was taken over, then the taker does not run the effect again', async () => {
    const idempotency = mongoIdempotency(db);
    const eventId = randomUUID();
    const past = Date.now() - 1000;
    // The taker reads the expired claim; the slow holder stamps it before the taker re-checks.
    await markers().insertOne({ _id: `c:${eventId}`, leaseUntil: new Date(past) });
    const original = db.collection('processed_events');
    const findOne = original.findOne.bind(original);
    let stamped = false;
    (original as unknown as { findOne: typeof findOne }).findOne = (async (...args: Parameters<typeof findOne>) => {
      const found = await findOne(...args);
      if (!stamped) {
        stamped = true;
        await markers().updateOne({ _id: `c:${eventId}` }, { $set: { processedAt: new Date() } });
      }
      return found;
    }) as typeof findOne;
    let runs = 0;

    const outcome = await idempotency.run('c', eventId, async () => {
      runs += 1;
    });

    assert.deepEqual([outcome, runs], ['duplicate', 0]);
  });

  it('When five deliveries of one event race, then the effect runs exactly once', async () => {
    const idempotency = mongoIdempotency(db);
    const eventId = randomUUID();
    let runs = 0;

    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        idempotency.run('c', eventId, async () => {
          runs += 1;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }),
      ),
    );

    assert.equal(runs, 1);
    assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value === 'processed').length, 1);
  });
});

describe('mongoIdempotency under concurrent deliveries (claims and stamps share round trips)', () => {
  let db: Connection;
  /** Documents per insert and updates per update that reached processed_events: the batches on the wire. */
  const batches: { inserts: number[]; updates: number[] } = { inserts: [], updates: [] };
  const dbName = assertTestDatabaseName('platform_idempotency_batch_test');

  before(async () => {
    db = await mongoose.createConnection(testInfra().mongoUrl, { dbName, retryWrites: false, monitorCommands: true }).asPromise();
    db.getClient().on('commandStarted', (started: mongo.CommandStartedEvent) => {
      if (started.databaseName !== dbName) return;
      if (started.commandName === 'insert' && started.command['insert'] === 'processed_events') batches.inserts.push((started.command['documents'] as unknown[]).length);
      if (started.commandName === 'update' && started.command['update'] === 'processed_events') batches.updates.push((started.command['updates'] as unknown[]).length);
    });
  });

  after(async () => {
    await db.dropDatabase();
    await db.close();
  });

  const observe = () => {
    batches.inserts.length = 0;
    batches.updates.length = 0;
    return batches;
  };

  it('When many distinct events are delivered at once, then each effect runs once, in fewer round trips than deliveries', async () => {
    const idempotency = mongoIdempotency(db);
    const eventIds = Array.from({ length: 30 }, () => randomUUID());
    const runs = new Map<string, number>();
    const deliver = (eventId: string) =>
      idempotency.run('c', eventId, async () => {
        runs.set(eventId, (runs.get(eventId) ?? 0) + 1);
      });
    const observed = observe();

    const outcomes = await Promise.all(eventIds.map(deliver));
    const redelivered = await Promise.all(eventIds.map(deliver));

    assert.deepEqual(new Set(outcomes), new Set(['processed']));
    assert.deepEqual(new Set(redelivered), new Set(['duplicate']));
    assert.deepEqual(eventIds.map((eventId) => runs.get(eventId)), eventIds.map(() => 1));
    assert.ok(Math.max(...observed.inserts) > 1, `claims went one per round trip: ${observed.inserts.join(',')}`);
    assert.ok(Math.max(...observed.updates) > 1, `stamps went one per round trip: ${observed.updates.join(',')}`);
    assert.ok(observed.inserts.length < eventIds.length * 2 && observed.updates.length < eventIds.length);
  });

  it('When copies of fresh and of already processed events arrive together, then each event runs once and only the copies lose', async () => {
    const idempotency = mongoIdempotency(db);
    const processedBefore = Array.from({ length: 5 }, () => randomUUID());
    const fresh = Array.from({ length: 10 }, () => randomUUID());
    await Promise.all(processedBefore.map((eventId) => idempotency.run('c', eventId, async () => undefined)));
    const runs = new Map<string, number>();
    const deliveries = [...fresh, ...processedBefore].flatMap((eventId) => Array.from({ length: 3 }, () => eventId));
    const observed = observe();

    const outcomes = await Promise.allSettled(
      deliveries.map((eventId) =>
        idempotency.run('c', eventId, async () => {
          runs.set(eventId, (runs.get(eventId) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }),
      ),
    );

    const outcomesOf = (eventId: string) => outcomes.filter((_outcome, index) => deliveries[index] === eventId);
    for (const eventId of fresh) {
      const own = outcomesOf(eventId);
      assert.equal(runs.get(eventId), 1);
      assert.equal(own.filter((outcome) => outcome.status === 'fulfilled' && outcome.value === 'processed').length, 1);
      // The others were told it was done, or to come back while it ran; nothing else.
      for (const outcome of own) {
        if (outcome.status === 'rejected') assert.ok(outcome.reason instanceof EventInProgressError, String(outcome.reason));
      }
    }
    for (const eventId of processedBefore) {
      assert.equal(runs.get(eventId), undefined);
      assert.deepEqual(
        outcomesOf(eventId).map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : 'rejected')),
        ['duplicate', 'duplicate', 'duplicate'],
      );
    }
    // The copies' claims met their originals in the same unordered inserts as the fresh claims.
    assert.ok(Math.max(...observed.inserts) >= deliveries.length - 1, `claims: ${observed.inserts.join(',')}`);
    assert.ok(Math.max(...observed.updates) > 1, `stamps: ${observed.updates.join(',')}`);
  });
});
