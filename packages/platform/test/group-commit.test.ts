import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../src/group-commit';

describe('GroupCommit', () => {
  it('When writes arrive while one is in flight, then they go together in the next batch and each caller gets its own result', async () => {
    const batches: number[][] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return items.map((item) => item * 10);
    });

    const results = await Promise.all([1, 2, 3, 4].map((item) => commit.add(item)));

    assert.deepEqual(batches, [[1], [2, 3, 4]]);
    assert.deepEqual(results, [10, 20, 30, 40]);
  });

  it('When a batch fails, then every caller in it fails and the next batch is written', async () => {
    let calls = 0;
    const commit = new GroupCommit<string>(async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('store away');
      return items.map(() => undefined);
    });

    const first = await Promise.allSettled([commit.add('a')]);
    const second = await commit.add('b');

    assert.equal(first[0]?.status, 'rejected');
    assert.equal(second, undefined);
    assert.equal(calls, 2);
  });
});
