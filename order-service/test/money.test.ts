import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMinorUnits, parseMinorUnits } from '@oip/contracts';
import { MAX_MINOR_UNITS, orderTotal } from '../src/orders/money';

describe('order totals in minor units', () => {
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
