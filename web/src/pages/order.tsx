import { useEffect, useState } from 'react';
import { orders, unwrap, type Order } from '../api/clients';
import { watchOrder, type WatchMode } from '../api/order-events';
import { Link } from '../router';
import { ErrorBox, Loading, money, Status, useAction } from '../ui';

export const cancellable = (order: Order): boolean => order.status === 'PENDING' || order.status === 'CONFIRMED';

export function OrderPage({ id }: { id: string }) {
  const [order, setOrder] = useState<Order>();
  const [mode, setMode] = useState<WatchMode>();
  const [error, setError] = useState<string>();
  const action = useAction();

  useEffect(() => {
    setOrder(undefined);
    // The first read shows a refusal (not yours, no such order) as its problem detail.
    orders
      .GET('/orders/{id}', { params: { path: { id } } })
      .then(unwrap)
      .then(setOrder, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
    return watchOrder(id, setOrder, setMode);
  }, [id]);

  if (error && !order) return <ErrorBox>{error}</ErrorBox>;
  if (!order) return <Loading what="Loading the order" />;
  return (
    <section>
      <h1>Order {order.id.slice(0, 8)}</h1>
      <p className="order-status" aria-live="polite" data-watch={mode}>
        Status: <Status status={order.status} />{' '}
        {order.status === 'PENDING' && <span className="muted">waiting for the stock to be reserved{mode === 'polling' ? ' (checking every 2 s)' : ''}…</span>}
      </p>
      {order.status === 'REJECTED' && order.rejection && (
        <div className="rejection" role="alert">
          <p>Rejected: {order.rejection.reason}</p>
          <ul>
            {order.rejection.shortItems.map((line) => (
              <li key={line.productId} className="short-line">
                {line.name ?? line.productId}: {line.requested} requested, {line.available} available
              </li>
            ))}
          </ul>
        </div>
      )}
      {order.status === 'CANCELLED' && order.cancelReason && <p className="muted">Cancelled by {order.cancelReason === 'timeout' ? 'the system (no stock answer in time)' : order.cancelReason}.</p>}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Unit price</th>
            <th scope="col">Quantity</th>
            <th scope="col">Line total</th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((line) => (
            <tr key={line.productId}>
              <td>
                <Link to={`/products/${line.productId}`}>{line.name}</Link>
              </td>
              <td data-label="Unit price">{line.unitPrice}</td>
              <td data-label="Quantity">{line.quantity}</td>
              <td data-label="Line total">{line.lineTotal}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="price">Total: {money(order.total, order.currency)}</p>
      <p className="muted">Placed {new Date(order.createdAt).toLocaleString()}</p>
      <ErrorBox>{action.error}</ErrorBox>
      {cancellable(order) && (
        <button
          type="button"
          disabled={action.busy}
          onClick={() => void action.run(async () => setOrder(unwrap(await orders.POST('/orders/{id}/cancel', { params: { path: { id } } }))))}
        >
          Cancel order
        </button>
      )}
    </section>
  );
}
