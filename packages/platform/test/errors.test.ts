import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, toProblem } from '../src';

describe('toProblem (pure)', () => {
  it('When a domain error is thrown, then the client gets its status, code and words', () => {
    const { problem, expected } = toProblem(new AppError('conflict', 'STOCK.INSUFFICIENT', 'Only 2 left'));

    assert.equal(problem.status, 409);
    assert.equal(problem.code, 'STOCK.INSUFFICIENT');
    assert.equal(problem.detail, 'Only 2 left');
    assert.ok(expected);
  });

  it('When the database pool is exhausted or a driver cannot reach its server, then 503, not 500', () => {
    const poolTimeout = new Error('timeout exceeded when trying to connect');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const wrapped = Object.assign(new Error('query failed'), { driverError: Object.assign(new Error('terminating connection'), { code: '57P01' }) });
    const mongo = Object.assign(new Error('Server selection timed out'), { name: 'MongoServerSelectionError' });

    for (const error of [poolTimeout, refused, wrapped, mongo]) {
      const { problem } = toProblem(error);
      assert.equal(problem.status, 503, error.message);
      assert.equal(problem.code, 'DEPENDENCY.UNAVAILABLE');
    }
  });

  it('When anything else goes wrong, then a bare 500 that says nothing of the cause', () => {
    const { problem, expected } = toProblem(new TypeError("Cannot read properties of undefined (reading 'id')"));

    assert.equal(problem.status, 500);
    assert.doesNotMatch(JSON.stringify(problem), /undefined|reading/);
    assert.equal(expected, false);
  });
});
