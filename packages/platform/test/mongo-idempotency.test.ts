import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mongoose, { type Connection } from 'mongoose';
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
