import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMinorUnits, Money, moneyPattern, parseMinorUnits } from '../src';

describe('money in minor units (pure)', () => {
  it('When a decimal string is parsed, then it becomes exact cents', () => {
    assert.equal(parseMinorUnits('12.50'), 1250n);
    assert.equal(parseMinorUnits('12.5'), 1250n);
    assert.equal(parseMinorUnits('12'), 1200n);
    assert.equal(parseMinorUnits('0.01'), 1n);
    assert.equal(parseMinorUnits('999999999999.99'), 99_999_999_999_999n);
  });

  it('When a string is not a non-negative amount with at most two decimals, then it is refused', () => {
    for (const bad of ['', '-1', '1.234', '1e3', ' 1', '1.', '.5', 'NaN', '1,5']) assert.equal(parseMinorUnits(bad), undefined, bad);
  });

  it('When cents are formatted, then there are always two decimals', () => {
    assert.equal(formatMinorUnits(0n), '0.00');
    assert.equal(formatMinorUnits(5n), '0.05');
    assert.equal(formatMinorUnits(1250n), '12.50');
    assert.equal(formatMinorUnits(99_999_999_999_999n), '999999999999.99');
  });

  it('When an event carries an amount with more than two decimals, then the contract refuses it', () => {
    assert.equal(Money.safeParse('12.50').success, true);
    assert.equal(Money.safeParse('12.505').success, false);
    assert.equal(Money.safeParse('12.5050').success, false);
  });

  it('When a pattern has fewer whole digits, then longer amounts are refused', () => {
    assert.equal(moneyPattern(9).test('999999999.99'), true);
    assert.equal(moneyPattern(9).test('1000000000'), false);
  });
});
