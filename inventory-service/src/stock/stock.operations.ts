import { createEvent, deterministicEventId, type CloudEvent } from '@oip/contracts';
import type { StateOf } from '@oip/platform/mongo';
import { stockErrors } from './stock.errors';
import type { StockRecord } from './stock.model';

/**
 * The stock rules as pure functions: given the current record and an operation, the next state and
 * the movement that records it — or nothing (the operation already took effect), or a domain
 * error. The repository commits the answer atomically; nothing here touches the database.
 *
 * Reference-keyed operations (reserve, release, deduct) happen once per reference and product:
 *  - reserve   adds a hold {reference, quantity}; needs `available >= quantity`.
 *  - release   removes the hold whole (quantity, if given, must match it).
 *  - deduct    with a hold: consumes it whole (on hand and reserved both drop);
 *              without one (API only): takes `quantity` straight from available stock.
 * A reference is single-use: reserving again after a release is a no-op, use a new reference.
 */
export type StockOperation =
  | { kind: 'set'; quantity: number; lowStockThreshold?: number | undefined }
  | { kind: 'adjust'; delta: number; reason: string }
  | { kind: 'reserve'; quantity: number; reference: string }
  | { kind: 'release'; reference: string; quantity?: number | undefined }
  | { kind: 'deduct'; reference: string; quantity?: number | undefined; holdOnly?: boolean }
  | { kind: 'retire' }
  | { kind: 'outbox-sent'; eventId: string };

export type StockState = StateOf<StockRecord>;

export interface Movement {
  opKey: string;
  kind: StockOperation['kind'];
  delta: number;
  reservedDelta: number;
  reason?: string;
  reference?: string;
}

export type Outcome = { kind: 'unchanged' } | { kind: 'change'; next: StockState; movement: Movement };

const SOURCE = '/inventory-service';

/** The key that makes an operation happen once; operations without a reference are unique per version. */
export function opKeyOf(operation: StockOperation, nextVersion: number): string {
  switch (operation.kind) {
    case 'reserve':
    case 'release':
    case 'deduct':
      return `${operation.kind}:${operation.reference}`;
    case 'retire':
      return 'retire';
    case 'outbox-sent':
      return `outbox-sent:${operation.eventId}`;
    case 'set':
    case 'adjust':
      return `${operation.kind}:v${nextVersion}`;
  }
}

function stateOf(record: StockRecord): StockState {
  const { _id: _id, version: _version, ...state } = record;
  return state;
}

export function decide(current: StockRecord, operation: StockOperation, now: Date, correlation?: { correlationId?: string | undefined; causationId?: string | undefined }): Outcome {
  const productId = current.productId;
  const base = stateOf(current);
  const nextVersion = current.version + 1;
  const change = (next: StockState, delta: number, reservedDelta: number, extra: { reason?: string; reference?: string } = {}): Outcome => {
    const withLow = withLowStockEvent(current, { ...next, available: next.onHand - next.reserved, updatedAt: now }, nextVersion, now, correlation);
    return { kind: 'change', next: withLow, movement: { opKey: opKeyOf(operation, nextVersion), kind: operation.kind, delta, reservedDelta, ...extra } };
  };
  const holdOf = (reference: string) => current.holds.find((hold) => hold.reference === reference);

  switch (operation.kind) {
    case 'set': {
      if (!current.active) throw stockErrors.retired(productId);
      if (operation.quantity < current.reserved) throw stockErrors.belowReserved(productId, current.reserved);
      const threshold = operation.lowStockThreshold ?? current.lowStockThreshold;
      if (operation.quantity === current.onHand && threshold === current.lowStockThreshold) return { kind: 'unchanged' };
      return change({ ...base, onHand: operation.quantity, lowStockThreshold: threshold }, operation.quantity - current.onHand, 0, { reason: 'set' });
    }
    case 'adjust': {
      if (!current.active) throw stockErrors.retired(productId);
      const onHand = current.onHand + operation.delta;
      if (onHand < current.reserved) throw stockErrors.belowReserved(productId, current.reserved);
      return change({ ...base, onHand }, operation.delta, 0, { reason: operation.reason });
    }
    case 'reserve': {
      if (holdOf(operation.reference)) return { kind: 'unchanged' };
      if (!current.active) throw stockErrors.retired(productId);
      if (current.available < operation.quantity) throw stockErrors.insufficient(productId, operation.quantity, current.available);
      const holds = [...current.holds, { reference: operation.reference, quantity: operation.quantity, createdAt: now }];
      return change({ ...base, holds, reserved: current.reserved + operation.quantity }, 0, operation.quantity, { reference: operation.reference });
    }
    case 'release': {
      const hold = holdOf(operation.reference);
      if (!hold) throw stockErrors.holdNotFound(productId, operation.reference);
      if (operation.quantity !== undefined && operation.quantity !== hold.quantity) throw stockErrors.holdMismatch(productId, operation.reference, hold.quantity);
      const holds = current.holds.filter((candidate) => candidate !== hold);
      return change({ ...base, holds, reserved: current.reserved - hold.quantity }, 0, -hold.quantity, { reference: operation.reference });
    }
    case 'deduct': {
      const hold = holdOf(operation.reference);
      if (hold) {
        if (operation.quantity !== undefined && operation.quantity !== hold.quantity) throw stockErrors.holdMismatch(productId, operation.reference, hold.quantity);
        const holds = current.holds.filter((candidate) => candidate !== hold);
        return change({ ...base, holds, onHand: current.onHand - hold.quantity, reserved: current.reserved - hold.quantity }, -hold.quantity, -hold.quantity, {
          reference: operation.reference,
        });
      }
      if (operation.holdOnly || operation.quantity === undefined) throw stockErrors.holdNotFound(productId, operation.reference);
      if (!current.active) throw stockErrors.retired(productId);
      if (current.available < operation.quantity) throw stockErrors.insufficient(productId, operation.quantity, current.available);
      return change({ ...base, onHand: current.onHand - operation.quantity }, -operation.quantity, 0, { reference: operation.reference });
    }
    case 'retire': {
      if (!current.active) return { kind: 'unchanged' };
      return change({ ...base, active: false }, 0, 0, { reason: 'product deleted' });
    }
    case 'outbox-sent': {
      if (!current.outbox.some((event) => event.id === operation.eventId)) return { kind: 'unchanged' };
      // Not a stock change: no low-stock check, no timestamp.
      return { kind: 'change', next: { ...base, outbox: current.outbox.filter((event) => event.id !== operation.eventId) }, movement: { opKey: opKeyOf(operation, nextVersion), kind: 'outbox-sent', delta: 0, reservedDelta: 0 } };
    }
  }
}

/** stock_low goes out when available stock falls below the threshold, on the crossing only. */
function withLowStockEvent(
  current: StockRecord,
  next: StockState,
  nextVersion: number,
  now: Date,
  correlation?: { correlationId?: string | undefined; causationId?: string | undefined },
): StockState {
  const crossed = current.available >= current.lowStockThreshold && next.available < next.lowStockThreshold;
  if (!crossed || !next.active) return next;
  const event: CloudEvent<'stock_low'> = createEvent(
    'stock_low',
    { productId: current.productId, available: next.available, threshold: next.lowStockThreshold },
    {
      source: SOURCE,
      subject: current.productId,
      id: deterministicEventId(`stock_low:${current.productId}:${nextVersion}`),
      time: now,
      ...(correlation?.correlationId ? { correlationId: correlation.correlationId } : {}),
      ...(correlation?.causationId ? { causationId: correlation.causationId } : {}),
    },
  );
  return { ...next, outbox: [...next.outbox, event] };
}
