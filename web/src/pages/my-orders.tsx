import { orders, notifications, unwrap, type Order } from '../api/clients';
import { Link, navigate, useLocation } from '../router';
import { ErrorBox, Loaded, money, Pager, Status, useAction, useLoad } from '../ui';
import { cancellable } from './order';

function CancelButton({ order, onChange }: { order: Order; onChange: () => void }) {
  const action = useAction();
  if (!cancellable(order)) return null;
  return (
    <>
      <button
        type="button"
        disabled={action.busy}
        onClick={() =>
          void action.run(async () => {
            unwrap(await orders.POST('/orders/{id}/cancel', { params: { path: { id: order.id } } }));
            onChange();
          })
        }
      >
        Cancel<span className="sr-only"> order {order.id.slice(0, 8)}</span>
      </button>
      <ErrorBox>{action.error}</ErrorBox>
    </>
  );
}

export function MyOrders() {
  const { query } = useLocation();
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const list = useLoad(async () => unwrap(await orders.GET('/orders', { params: { query: { page, limit: 10 } } })), [page]);
  return (
    <section>
      <h1>My orders</h1>
      <Loaded state={list} empty={(data) => data.items.length === 0 && 'No orders yet.'}>
        {(data) => (
          <>
            <ul className="rows">
              {data.items.map((order) => (
                <li key={order.id}>
                  <Link to={`/orders/${order.id}`}>Order {order.id.slice(0, 8)}</Link> <Status status={order.status} /> {money(order.total, order.currency)}{' '}
                  <span className="muted">{new Date(order.createdAt).toLocaleString()}</span> <CancelButton order={order} onChange={list.reload} />
                </li>
              ))}
            </ul>
            <Pager page={data.page} limit={data.limit} total={data.total} onPage={(next) => navigate(`/orders?page=${next}`)} />
          </>
        )}
      </Loaded>
    </section>
  );
}

export function MyNotifications() {
  const list = useLoad(async () => unwrap(await notifications.GET('/notifications', { params: { query: { limit: 50 } } })), []);
  return (
    <section>
      <h1>My notifications</h1>
      <Loaded state={list} empty={(data) => data.items.length === 0 && 'No notifications yet.'}>
        {(data) => (
          <ul className="rows">
            {data.items.map((item) => (
              <li key={item.id}>
                <strong>{item.subject}</strong> <span className="muted">{item.status}</span>
                {item.orderId && (
                  <>
                    {' '}
                    <Link to={`/orders/${item.orderId}`}>see the order</Link>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}
