import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Semaphore } from '../src/semaphore';

describe('Semaphore', () => {
  it('When more work arrives than the limit, then at most the limit runs at once and all of it finishes in order of arrival', async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];

    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        semaphore.run(async () => {
          started.push(index);
          running += 1;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running -= 1;
          return index * 10;
        }),
      ),
    );

    assert.equal(most, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(results, [0, 10, 20, 30, 40, 50]);
  });

  it('When work fails, then its slot is given back', async () => {
    const semaphore = new Semaphore(1);

    await assert.rejects(semaphore.run(() => Promise.reject(new Error('boom'))), /boom/);
    const after = await semaphore.run(() => Promise.resolve('ran'));

    assert.equal(after, 'ran');
  });
});
