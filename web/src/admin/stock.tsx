import { useState, type FormEvent } from 'react';
import { inventory, unwrap, type StockPage } from '../api/clients';
import { Link, navigate, useLocation } from '../router';
import { ErrorBox, Loaded, Pager, useAction, useLoad } from '../ui';

type ListRow = StockPage['items'][number];
/** What a row needs: a list item, or one product's record (which names the product without `product`). */
type Row = Pick<ListRow, 'productId' | 'sku' | 'name' | 'onHand' | 'reserved' | 'available' | 'lowStockThreshold' | 'updatedAt'> & { product?: ListRow['product'] };

function StockRow({ row, onChange }: { row: Row; onChange: () => void }) {
  const [quantity, setQuantity] = useState(String(row.onHand));
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState('');
  const action = useAction();
  const name = row.product?.name ?? row.name ?? row.sku;
  const low = row.available <= row.lowStockThreshold;

  const set = (event: FormEvent): void => {
    event.preventDefault();
    const value = Number(quantity);
    if (!/^\d+$/.test(quantity) || value > 1_000_000) return action.setError('On hand is a whole number from 0 to 1,000,000.');
    void action.run(async () => {
      unwrap(await inventory.PUT('/inventory/{productId}/quantity', { params: { path: { productId: row.productId } }, body: { quantity: value } }));
      onChange();
    });
  };
  const adjust = (event: FormEvent): void => {
    event.preventDefault();
    const value = Number(delta);
    if (!/^-?\d+$/.test(delta) || value === 0) return action.setError('The adjustment is a whole number other than 0, e.g. 5 or -2.');
    if (!reason.trim()) return action.setError('Give a reason for the adjustment.');
    void action.run(async () => {
      unwrap(await inventory.POST('/inventory/{productId}/adjust', { params: { path: { productId: row.productId } }, body: { delta: value, reason: reason.trim() } }));
      setDelta('');
      setReason('');
      onChange();
    });
  };

  return (
    <tr className={low ? 'low' : undefined} data-product={row.productId}>
      <td>
        {name}
        {low && <strong className="warn"> low stock</strong>}
        <div className="muted">{row.sku}</div>
      </td>
      <td data-label="On hand">{row.onHand}</td>
      <td data-label="Reserved">{row.reserved}</td>
      <td data-label="Available">{row.available}</td>
      <td>
        <form className="inline" onSubmit={set} noValidate>
          <label>
            <span className="sr-only">On hand for {name}</span>
            <input name="quantity" inputMode="numeric" value={quantity} onChange={(event) => setQuantity(event.target.value)} />
          </label>
          <button type="submit" disabled={action.busy}>
            Set<span className="sr-only"> on hand for {name}</span>
          </button>
        </form>
        <form className="inline" onSubmit={adjust} noValidate>
          <label>
            <span className="sr-only">Adjustment for {name}</span>
            <input name="delta" inputMode="numeric" placeholder="±n" value={delta} onChange={(event) => setDelta(event.target.value)} />
          </label>
          <label>
            <span className="sr-only">Reason for {name}</span>
            <input name="reason" placeholder="reason" maxLength={200} value={reason} onChange={(event) => setReason(event.target.value)} />
          </label>
          <button type="submit" disabled={action.busy}>
            Adjust<span className="sr-only"> {name}</span>
          </button>
        </form>
        <ErrorBox>{action.error}</ErrorBox>
      </td>
    </tr>
  );
}

export function AdminStock() {
  const { query } = useLocation();
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const product = query.get('product') ?? '';
  // One product's record (the products page links here), or every record a page at a time.
  const list = useLoad(async () => {
    if (!product) return unwrap(await inventory.GET('/inventory', { params: { query: { page, limit: 20 } } }));
    const one: Row = unwrap(await inventory.GET('/inventory/{productId}', { params: { path: { productId: product } } }));
    return { items: [one], page: 1, limit: 1, total: 1 };
  }, [page, product]);
  return (
    <Loaded state={list} empty={(data) => data.items.length === 0 && 'No stock records yet: they appear when products are created.'}>
      {(data) => (
        <>
          <p className="muted">
            Rows at or below their low-stock threshold are highlighted.{product && <> <Link to="/admin/stock">Show every product</Link></>}
          </p>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">On hand</th>
                <th scope="col">Reserved</th>
                <th scope="col">Available</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((row) => (
                <StockRow key={`${row.productId}-${row.updatedAt}`} row={row} onChange={list.reload} />
              ))}
            </tbody>
          </table>
          <Pager page={data.page} limit={data.limit} total={data.total} onPage={(next) => navigate(`/admin/stock?page=${next}`)} />
        </>
      )}
    </Loaded>
  );
}
