import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMinorUnits, MAX_MINOR_UNITS, orderTotal, parseMinorUnits } from '../src/orders/money';

describe('money in minor units', () => {
  it('When a decimal string is parsed, then it becomes exact cents', () => {
    assert.equal(parseMinorUnits('12.50'), 1250n);
    assert.equal(parseMinorUnits('12.5'), 1250n);
    assert.equal(parseMinorUnits('12'), 1200n);
    assert.equal(parseMinorUnits('0.01'), 1n);
    assert.equal(parseMinorUnits('999999999999.99'), MAX_MINOR_UNITS);
  });

  it('When a string is not a non-negative amount with at most two decimals, then it is refused', () => {
    for (const bad of ['', '-1', '1.234', '1e3', ' 1', '1.', '.5', 'NaN', '1,5']) assert.equal(parseMinorUnits(bad), undefined, bad);
  });

  it('When cents are formatted, then there are always two decimals', () => {
    assert.equal(formatMinorUnits(0n), '0.00');
    assert.equal(formatMinorUnits(5n), '0.05');
    assert.equal(formatMinorUnits(1250n), '12.50');
    assert.equal(formatMinorUnits(MAX_MINOR_UNITS), '999999999999.99');
  });

  it('When prices a float would round are added up, then the total is exact', () => {
    // 0.1 + 0.2 in binary floating point is 0.30000000000000004.
    const total = orderTotal([
      { unitPrice: parseMinorUnits('0.10') ?? 0n, quantity: 1 },
      { unitPrice: parseMinorUnits('0.20') ?? 0n, quantity: 1 },
      { unitPrice: parseMinorUnits('19.99') ?? 0n, quantity: 3 },
    ]);

    assert.equal(formatMinorUnits(total), '60.27');
  });

  it('When the largest prices meet the largest quantities, then nothing overflows', () => {
    const total = orderTotal(Array.from({ length: 50 }, () => ({ unitPrice: parseMinorUnits('999999999.99') ?? 0n, quantity: 1000 })));

    assert.equal(formatMinorUnits(total), '49999999999500.00');
    assert.ok(total > MAX_MINOR_UNITS);
  });
});
