import { useState } from 'react';
import { orders, problemText } from '../api/clients';
import { useAuth } from '../auth';
import { cart, useCart } from '../cart';
import { Link, navigate } from '../router';
import { Empty, ErrorBox, useAction } from '../ui';

const cents = (price: string): number => Math.round(Number(price) * 100);

/** 128 random bits as hex. Not crypto.randomUUID: that exists only in secure contexts (https, localhost). */
function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function CartPage() {
  const lines = useCart();
  const { user } = useAuth();
  const action = useAction();
  // One key per cart content: a double click, or a retry after a lost answer, is the same order.
  const [key, setKey] = useState(newKey);
  const currency = lines[0]?.currency ?? 'EUR';
  const total = lines.reduce((sum, line) => sum + cents(line.price) * line.quantity, 0);

  const change = (productId: string, quantity: number): void => {
    cart.setQuantity(productId, quantity);
    setKey(newKey());
  };

  const checkout = (): void => {
    if (action.busy) return;
    if (lines.some((line) => !Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > 1000)) {
      action.setError('Each quantity must be a whole number from 1 to 1000.');
      return;
    }
    if (new Set(lines.map((line) => line.currency)).size > 1) {
      action.setError('An order is in one currency: remove the lines in another one.');
      return;
    }
    void action.run(async () => {
      const answer = await orders.POST('/orders', {
        body: { items: lines.map((line) => ({ productId: line.productId, quantity: line.quantity })) },
        params: { header: { 'idempotency-key': key } },
      });
      if (!answer.data) throw new Error(problemText(answer.error, 'The order could not be placed'));
      cart.clear();
      navigate(`/orders/${answer.data.id}`);
    });
  };

  if (lines.length === 0)
    return (
      <section>
        <h1>Cart</h1>
        <Empty>
          Your cart is empty. <Link to="/">Browse the catalogue</Link>
        </Empty>
      </section>
    );
  return (
    <section>
      <h1>Cart</h1>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
            <th scope="col">
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={line.productId}>
              <td>
                <Link to={`/products/${line.productId}`}>{line.name}</Link>
              </td>
              <td data-label="Price">
                {line.price} {line.currency}
              </td>
              <td>
                <input
                  type="number"
                  min={1}
                  max={1000}
                  aria-label={`Quantity of ${line.name}`}
                  value={line.quantity}
                  onChange={(event) => change(line.productId, Math.trunc(Number(event.target.value)))}
                />
              </td>
              <td>
                <button type="button" className="link" onClick={() => change(line.productId, 0)}>
                  Remove<span className="sr-only"> {line.name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="price">
        Total: {(total / 100).toFixed(2)} {currency}
      </p>
      <ErrorBox>{action.error}</ErrorBox>
      {user ? (
        <button type="button" className="primary" onClick={checkout} disabled={action.busy} aria-busy={action.busy}>
          {action.busy ? 'Placing the order…' : 'Place order'}
        </button>
      ) : (
        <p>
          <Link to="/login?next=/cart">Log in</Link> or <Link to="/signup">sign up</Link> to place the order.
        </p>
      )}
    </section>
  );
}
