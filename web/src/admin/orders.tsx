import { orders, unwrap, type Order, type OrderStatus } from '../api/clients';
import { Link, navigate, useLocation } from '../router';
import { ErrorBox, Loaded, money, Pager, Status, useAction, useLoad } from '../ui';

const STATUSES: OrderStatus[] = ['PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED', 'SHIPPED', 'DELIVERED'];

function Actions({ order, onChange }: { order: Order; onChange: () => void }) {
  const action = useAction();
  const label = `order ${order.id.slice(0, 8)}`;
  const set = (status: 'SHIPPED' | 'DELIVERED'): void =>
    void action.run(async () => {
      unwrap(await orders.PUT('/orders/{id}/status', { params: { path: { id: order.id } }, body: { status } }));
      onChange();
    });
  const cancel = (): void =>
    void action.run(async () => {
      unwrap(await orders.POST('/orders/{id}/cancel', { params: { path: { id: order.id } } }));
      onChange();
    });
  return (
    <>
      {order.status === 'CONFIRMED' && (
        <button type="button" disabled={action.busy} onClick={() => set('SHIPPED')}>
          Ship<span className="sr-only"> {label}</span>
        </button>
      )}{' '}
      {order.status === 'SHIPPED' && (
        <button type="button" disabled={action.busy} onClick={() => set('DELIVERED')}>
          Deliver<span className="sr-only"> {label}</span>
        </button>
      )}{' '}
      {(order.status === 'PENDING' || order.status === 'CONFIRMED') && (
        <button type="button" className="danger" disabled={action.busy} onClick={cancel}>
          Cancel<span className="sr-only"> {label}</span>
        </button>
      )}
      <ErrorBox>{action.error}</ErrorBox>
    </>
  );
}

export function AdminOrders() {
  const { query } = useLocation();
  const status = (STATUSES as string[]).includes(query.get('status') ?? '') ? (query.get('status') as OrderStatus) : undefined;
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const list = useLoad(async () => unwrap(await orders.GET('/orders', { params: { query: { page, limit: 20, ...(status ? { status } : {}) } } })), [status, page]);
  const go = (next: { status?: string; page?: number }): void => {
    const params = new URLSearchParams();
    const values = { status: status ?? '', page: 1, ...next };
    if (values.status) params.set('status', values.status);
    if (values.page > 1) params.set('page', String(values.page));
    navigate(`/admin/orders${params.size ? `?${params.toString()}` : ''}`);
  };
  return (
    <>
      <div className="filters">
        <label>
          Status
          <select value={status ?? ''} onChange={(event) => go({ status: event.target.value })}>
            <option value="">All statuses</option>
            {STATUSES.map((one) => (
              <option key={one} value={one}>
                {one}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Loaded state={list} empty={(data) => data.items.length === 0 && 'No orders with this status.'}>
        {(data) => (
          <>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">Status</th>
                  <th scope="col">Total</th>
                  <th scope="col">Placed</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((order) => (
                  <tr key={order.id} data-order={order.id}>
                    <td>
                      <Link to={`/orders/${order.id}`}>{order.id.slice(0, 8)}</Link>
                      <div className="muted">{order.items.map((line) => `${line.quantity} × ${line.name}`).join(', ')}</div>
                    </td>
                    <td>
                      <Status status={order.status} />
                    </td>
                    <td>{money(order.total, order.currency)}</td>
                    <td>{new Date(order.createdAt).toLocaleString()}</td>
                    <td>
                      <Actions order={order} onChange={list.reload} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager page={data.page} limit={data.limit} total={data.total} onPage={(next) => go({ page: next })} />
          </>
        )}
      </Loaded>
    </>
  );
}
