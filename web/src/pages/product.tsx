import { useState } from 'react';
import { inventory, products, unwrap } from '../api/clients';
import { useAuth } from '../auth';
import { cart } from '../cart';
import { Link } from '../router';
import { ErrorBox, Loaded, money, useLoad } from '../ui';

export function ProductPage({ id }: { id: string }) {
  const { user } = useAuth();
  const product = useLoad(async () => unwrap(await products.GET('/products/{id}', { params: { path: { id } } })), [id]);
  // Stock is for signed-in users only (inventory's rule).
  const stock = useLoad(async () => (user ? unwrap(await inventory.GET('/inventory/{productId}', { params: { path: { productId: id } } })) : null), [id, user?.id]);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState(false);
  const [error, setError] = useState<string>();

  return (
    <Loaded state={product}>
      {(item) => (
        <article className="product">
          <h1>{item.name}</h1>
          {item.category && <p className="muted">{item.category}</p>}
          <p className="price">{money(item.price, item.currency)}</p>
          {item.description && <p>{item.description}</p>}
          <p>
            {!user ? (
              <>
                <Link to={`/login?next=/products/${id}`}>Log in</Link> to see availability.
              </>
            ) : stock.error ? (
              <span className="error">Availability unknown: {stock.error}</span>
            ) : !stock.data ? (
              'Checking availability…'
            ) : stock.data.available > 0 ? (
              <span className="ok">{stock.data.available} available</span>
            ) : (
              <span className="warn">Out of stock</span>
            )}
          </p>
          {!item.active && <p className="warn">This product is no longer for sale.</p>}
          <form
            className="inline"
            onSubmit={(event) => {
              event.preventDefault();
              if (!Number.isInteger(quantity) || quantity < 1 || quantity > 1000) {
                setError('Quantity must be a whole number from 1 to 1000.');
                return;
              }
              setError(undefined);
              cart.add({ productId: item.id, name: item.name, price: item.price, currency: item.currency }, quantity);
              setAdded(true);
            }}
          >
            <label>
              Quantity
              <input type="number" min={1} max={1000} value={quantity} onChange={(event) => setQuantity(Number(event.target.value))} />
            </label>
            <button type="submit" disabled={!item.active}>
              Add to cart
            </button>
          </form>
          <ErrorBox>{error}</ErrorBox>
          {added && (
            <p role="status">
              Added. <Link to="/cart">Go to the cart</Link>
            </p>
          )}
        </article>
      )}
    </Loaded>
  );
}
