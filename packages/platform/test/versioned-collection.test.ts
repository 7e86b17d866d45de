import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mongoose, { type Connection } from 'mongoose';
import { assertTestDatabaseName, testInfra } from '@oip/testkit';
import { ClaimRejectedError, VersionedCollection, type StringIdCollection } from '../src/mongo';

interface Counter {
  _id: string;
  version: number;
  n: number;
}

describe('VersionedCollection against a real MongoDB-wire server', () => {
  let db: Connection;
  let sequence = 0;

  before(async () => {
    db = await mongoose.createConnection(testInfra().mongoUrl, { dbName: assertTestDatabaseName('platform_versioned_test'), retryWrites: false }).asPromise();
    await db.collection('claims').createIndex({ docId: 1, opKey: 1 }, { unique: true, sparse: true });
  });

  after(async () => {
    await db.dropDatabase();
    await db.close();
  });

  const docs = () => db.collection('counters') as unknown as StringIdCollection;
  const claims = () => db.collection('claims') as unknown as StringIdCollection;
  /** A separate instance per writer, as separate processes would have: no shared in-process mutex. */
  const writer = () => new VersionedCollection<Counter>(docs(), claims());
  const add = (amount: number, opKey?: string) => (current: Counter | null) => {
    if (!current) throw new Error('missing');
    return { kind: 'change' as const, next: { n: current.n + amount }, result: (committed: Counter) => committed.n, ...(opKey ? { claim: { opKey } } : {}) };
  };

  it('When two writers increment one document concurrently, then no increment is lost and every version is claimed once', async () => {
    const id = `counter-${(sequence += 1)}`;
    await writer().insert({ _id: id, n: 0 });
    const [a, b] = [writer(), writer()];

    await Promise.all(Array.from({ length: 60 }, (_, index) => (index % 2 === 0 ? a : b).update(id, add(1))));

    const final = await writer().read(id);
    assert.deepEqual([final?.n, final?.version], [60, 60]);
    assert.equal(await claims().countDocuments({ docId: id }), 60);
  });

  it('When a writer crashed between its claim and the write-back, then reads and refusing decisions see the claimed state', async () => {
    const id = `counter-${(sequence += 1)}`;
    await writer().insert({ _id: id, n: 0 });
    // The crashed writer's claim: version 1 says n = 5, the stored document still says n = 0.
    await claims().insertOne({ _id: VersionedCollection.claimId(id, 1), docId: id, version: 1, at: new Date(), state: { n: 5 } });

    const read = await writer().read(id);
    // Takes 5 only if 5 are there: decided on the stored document alone it would refuse.
    const taken = await writer().update(id, (current) => {
      if (!current || current.n < 5) throw new Error(`only ${current?.n} left`);
      return { kind: 'change', next: { n: current.n - 5 }, result: (committed: Counter) => committed };
    });

    assert.deepEqual([read?.n, read?.version], [5, 1]);
    assert.deepEqual([taken.n, taken.version], [0, 2]);
  });

  it('When a writer crashed between its claim and the write-back, then readWritten shows the written document until a read rolls it forward', async () => {
    const id = `counter-${(sequence += 1)}`;
    await writer().insert({ _id: id, n: 0 });
    await claims().insertOne({ _id: VersionedCollection.claimId(id, 1), docId: id, version: 1, at: new Date(Date.now() - 60_000), state: { n: 3 } });

    const before = await writer().readWritten(id);
    const rolled = await writer().read(id);
    const after = await writer().readWritten(id);

    assert.deepEqual([before?.n, before?.version], [0, 0]);
    assert.deepEqual([rolled?.n, rolled?.version], [3, 1]);
    assert.deepEqual([after?.n, after?.version], [3, 1], 'the rolled-forward read repaired the stored document');
  });

  it('When an update finds nothing to do on a document that lags an old claim, then it repairs the stored document', async () => {
    const id = `counter-${(sequence += 1)}`;
    await writer().insert({ _id: id, n: 0 });
    // A writer that crashed between its claim and its write-back, longer ago than repairAfterMs.
    await claims().insertOne({ _id: VersionedCollection.claimId(id, 1), docId: id, version: 1, at: new Date(Date.now() - 60_000), state: { n: 7 } });

    const seen = await writer().update(id, (current) => ({ kind: 'unchanged', result: current?.n }));

    assert.equal(seen, 7);
    assert.deepEqual(await docs().findOne({ _id: id }), { _id: id, n: 7, version: 1 });
  });

  it('When a state carries an outbox, then the stored document is flagged outboxPending exactly while it holds events', async () => {
    const id = `counter-${(sequence += 1)}`;
    const outboxed = new VersionedCollection<Counter & { outbox: unknown[] }>(docs(), claims());
    await outboxed.insert({ _id: id, n: 0, outbox: [{ id: 'e1' }] });
    const flagged = await docs().findOne({ _id: id });

    await outboxed.update(id, (current) => ({ kind: 'change', next: { n: current?.n ?? 0, outbox: [] }, result: () => undefined }));
    const cleared = await docs().findOne({ _id: id });

    assert.equal(flagged?.['outboxPending'], true);
    assert.equal(cleared?.['outboxPending'], false);
    assert.equal(await docs().countDocuments({ _id: id, outboxPending: true }), 0);
  });

  it('When a claim collides on another unique key, then the update is rejected as already done', async () => {
    const id = `counter-${(sequence += 1)}`;
    await writer().insert({ _id: id, n: 0 });

    await writer().update(id, add(1, 'op-1'));
    await assert.rejects(writer().update(id, add(1, 'op-1')), ClaimRejectedError);

    assert.equal((await writer().read(id))?.n, 1);
  });
});
