import { createEvent, deterministicEventId, type Causation, type CloudEvent } from '@oip/contracts';
import type { StateOf } from '@oip/platform/mongo';
import { stockErrors } from './stock.errors';
import type { StockRecord } from './stock.model';

/**
 * The stock rules as pure functions: given the current record and an operation, the next state and
 * the movement that records it — or nothing (the operation already took effect), or a domain
 * error. The repository commits the answer atomically; nothing here touches the database.
 *
 * Reference-keyed operations (reserve, release, deduct) happen once per reference and product:
 *  - reserve   opens a hold {reference, quantity}; needs `available >= quantity`.
 *  - release   closes the hold whole (quantity, if given, must match it).
 *  - deduct    with a hold: closes it by consuming it (on hand and reserved both drop);
 *              without one (API only): takes `quantity` straight from available stock.
 * A hold is its reserve movement; release and deduct need it (`reservation`, read by the
 * repository), and the unique `close:<reference>` key lets only one of them close it. A reference
 * is single-use: reserving again after a release is a no-op, use a new reference.
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

/** What a release or deduct needs of the hold it closes: the reserve movement of its reference. */
export interface Reservation {
  quantity: number;
}

const SOURCE = '/inventory-service';

/** The opKey of a hold's reserve movement. */
export const reserveKey = (reference: string): string => `reserve:${reference}`;
/** The opKey of the one movement that closes a hold, by release or by deduction. */
export const closeKey = (reference: string): string => `close:${reference}`;

/**
 * The key that makes an operation happen once; operations without a reference are unique per
 * version. `holdClosed`: a release or deduct that closes a hold (rather than a plain deduction).
 */
export function opKeyOf(operation: StockOperation, nextVersion: number, holdClosed = false): string {
  switch (operation.kind) {
    case 'reserve':
      return reserveKey(operation.reference);
    case 'release':
      return closeKey(operation.reference);
    case 'deduct':
      return holdClosed ? closeKey(operation.reference) : `deduct:${operation.reference}`;
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

/**
 * `reservation`: for release and deduct, the reserve movement of the operation's reference (null:
 * it was never reserved). Whether the hold is still open is decided by the unique close key when
 * the change is committed, not here.
 */
export function decide(
  current: StockRecord,
  operation: StockOperation,
  now: Date,
  causation?: Causation,
  reservation?: Reservation | null,
): Outcome {
  const productId = current.productId;
  const base = stateOf(current);
  const nextVersion = current.version + 1;
  const change = (next: StockState, delta: number, reservedDelta: number, extra: { reason?: string; reference?: string } = {}, holdClosed = false): Outcome => {
    const withLow = withLowStockEvent(current, { ...next, available: next.onHand - next.reserved, updatedAt: now }, nextVersion, now, causation);
    return { kind: 'change', next: withLow, movement: { opKey: opKeyOf(operation, nextVersion, holdClosed), kind: operation.kind, delta, reservedDelta, ...extra } };
  };

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
      // A repeat of a reserve collides on its key when committed; the checks below come first only
      // because a repeat is rare (the repository looks the reservation up when one refuses).
      if (!current.active) throw stockErrors.retired(productId);
      if (current.available < operation.quantity) throw stockErrors.insufficient(productId, operation.quantity, current.available);
      return change({ ...base, openHolds: base.openHolds + 1, reserved: current.reserved + operation.quantity }, 0, operation.quantity, { reference: operation.reference });
    }
    case 'release': {
      const hold = reservationOf(reservation, operation.kind);
      if (!hold) throw stockErrors.holdNotFound(productId, operation.reference);
      if (operation.quantity !== undefined && operation.quantity !== hold.quantity) throw stockErrors.holdMismatch(productId, operation.reference, hold.quantity);
      return change({ ...base, openHolds: base.openHolds - 1, reserved: current.reserved - hold.quantity }, 0, -hold.quantity, { reference: operation.reference }, true);
    }
    case 'deduct': {
      const hold = reservationOf(reservation, operation.kind);
      if (hold) {
        if (operation.quantity !== undefined && operation.quantity !== hold.quantity) throw stockErrors.holdMismatch(productId, operation.reference, hold.quantity);
        return change(
          { ...base, openHolds: base.openHolds - 1, onHand: current.onHand - hold.quantity, reserved: current.reserved - hold.quantity },
          -hold.quantity,
          -hold.quantity,
          { reference: operation.reference },
          true,
        );
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

function reservationOf(reservation: Reservation | null | undefined, kind: string): Reservation | null {
  if (reservation === undefined) throw new Error(`${kind} needs the reservation of its reference`);
  return reservation;
}

/** stock_low goes out when available stock falls below the threshold, on the crossing only. */
function withLowStockEvent(
  current: StockRecord,
  next: StockState,
  nextVersion: number,
  now: Date,
  causation?: Causation,
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
      ...causation,
    },
  );
  return { ...next, outbox: [...next.outbox, event] };
}
