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
    const rollbackAfterLostConnection = Object.assign(new Error('Database connection provided by a query runner was already released'), { name: 'QueryRunnerProviderAlreadyReleasedError' });
    const commitAfterLostConnection = Object.assign(new Error('Query runner already released. Cannot run queries anymore.'), { name: 'QueryRunnerAlreadyReleasedError' });

    for (const error of [poolTimeout, refused, wrapped, mongo, rollbackAfterLostConnection, commitAfterLostConnection]) {
      const { problem } = toProblem(error);
      assert.equal(problem.status, 503, error.message);
      assert.equal(problem.code, 'DEPENDENCY.UNAVAILABLE');
    }
  });

  it('When FerretDB answers that its PostgreSQL is away, then 503, not 500', () => {
    // What FerretDB 1.x sends while PostgreSQL restarts (seen in order-chaos.test): a server error, not a network one.
    const terminated = Object.assign(new Error('[msg_find.go:344 handler.handleMaxTimeMSError] [collection.go:109 postgresql.(*collection).Query] FATAL: terminating connection due to administrator command (SQLSTATE 57P01)'), { name: 'MongoServerError', code: 1, codeName: 'InternalError' });
    const refused = Object.assign(new Error('[msg_insert.go:168 handler.(*Handler).MsgInsert] failed to connect to `user=app database=ferretdb`: 127.0.0.1:5932 (127.0.0.1): dial error: dial tcp 127.0.0.1:5932: connect: connection refused'), { name: 'MongoServerError', code: 1, codeName: 'InternalError' });
    const otherInternal = Object.assign(new Error('[msg_find.go:1] unsupported operator $foo'), { name: 'MongoServerError', code: 1, codeName: 'InternalError' });

    assert.equal(toProblem(terminated).problem.status, 503);
    assert.equal(toProblem(refused).problem.status, 503);
    assert.equal(toProblem(otherInternal).problem.status, 500);
  });

  it('When anything else goes wrong, then a bare 500 that says nothing of the cause', () => {
    const { problem, expected } = toProblem(new TypeError("Cannot read properties of undefined (reading 'id')"));

    assert.equal(problem.status, 500);
    assert.doesNotMatch(JSON.stringify(problem), /undefined|reading/);
    assert.equal(expected, false);
  });
});
