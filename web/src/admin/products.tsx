import { useState, type FormEvent } from 'react';
import { problemText, products, unwrap, type Product } from '../api/clients';
import { Link, navigate, useLocation } from '../router';
import { ErrorBox, Loaded, money, Pager, useAction, useLoad } from '../ui';

const PRICE = /^\d{1,10}(\.\d{1,2})?$/;
const CURRENCY = /^[A-Z]{3}$/;

interface Draft {
  name: string;
  price: string;
  currency: string;
  sku: string;
  category: string;
  description: string;
}

const blank: Draft = { name: '', price: '', currency: 'EUR', sku: '', category: '', description: '' };

function validate(draft: Draft, creating: boolean): string | undefined {
  if (!draft.name.trim()) return 'The name is required.';
  if (!PRICE.test(draft.price)) return 'The price is a decimal amount like 12.50.';
  if (!CURRENCY.test(draft.currency)) return 'The currency is three capital letters, like EUR.';
  if (creating && !draft.sku.trim()) return 'The SKU is required.';
  return undefined;
}

function ProductForm({ editing, onDone }: { editing?: Product; onDone: () => void }) {
  const [draft, setDraft] = useState<Draft>(
    editing ? { name: editing.name, price: editing.price, currency: editing.currency, sku: editing.sku, category: editing.category ?? '', description: editing.description ?? '' } : blank,
  );
  const action = useAction();
  const field = (key: keyof Draft) => ({ value: draft[key], onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [key]: event.target.value }) });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const invalid = validate(draft, !editing);
    if (invalid) return action.setError(invalid);
    void action.run(async () => {
      const common = { name: draft.name.trim(), price: draft.price, currency: draft.currency, ...(draft.category.trim() ? { category: draft.category.trim() } : {}), ...(draft.description.trim() ? { description: draft.description.trim() } : {}) };
      const answer = editing
        ? await products.PATCH('/products/{id}', { params: { path: { id: editing.id } }, body: common })
        : await products.POST('/products', { body: { ...common, sku: draft.sku.trim() } });
      if (!answer.data) throw new Error(problemText(answer.error, 'The product was not saved'));
      setDraft(blank);
      onDone();
    });
  };

  return (
    <form onSubmit={submit} noValidate aria-label={editing ? `Edit ${editing.name}` : 'New product'} className="panel">
      <h2>{editing ? `Edit ${editing.name}` : 'New product'}</h2>
      <label>
        Name
        <input name="name" maxLength={200} {...field('name')} />
      </label>
      <div className="filters">
        <label>
          Price
          <input name="price" inputMode="decimal" {...field('price')} />
        </label>
        <label>
          Currency
          <input name="currency" maxLength={3} {...field('currency')} />
        </label>
        {!editing && (
          <label>
            SKU
            <input name="sku" maxLength={64} {...field('sku')} />
          </label>
        )}
        <label>
          Category
          <input name="category" maxLength={100} {...field('category')} />
        </label>
      </div>
      <label>
        Description
        <textarea name="description" rows={2} maxLength={2000} {...field('description')} />
      </label>
      <ErrorBox>{action.error}</ErrorBox>
      <button type="submit" className="primary" disabled={action.busy}>
        {editing ? 'Save' : 'Create product'}
      </button>{' '}
      {editing && (
        <button type="button" onClick={onDone}>
          Close
        </button>
      )}
    </form>
  );
}

export function AdminProducts() {
  const { query } = useLocation();
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const list = useLoad(async () => unwrap(await products.GET('/products', { params: { query: { page, limit: 20, includeInactive: 'true', sort: '-createdAt' } } })), [page]);
  const [editing, setEditing] = useState<Product>();
  const action = useAction();

  const setActive = (product: Product, active: boolean): void =>
    void action.run(async () => {
      unwrap(await products.PATCH('/products/{id}', { params: { path: { id: product.id } }, body: { active } }));
      list.reload();
    });

  return (
    <>
      {editing ? (
        <ProductForm key={editing.id} editing={editing} onDone={() => { setEditing(undefined); list.reload(); }} />
      ) : (
        <ProductForm onDone={list.reload} />
      )}
      <ErrorBox>{action.error}</ErrorBox>
      <Loaded state={list} empty={(data) => data.items.length === 0 && 'No products yet.'}>
        {(data) => (
          <>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">SKU</th>
                  <th scope="col">Price</th>
                  <th scope="col">State</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((product) => (
                  <tr key={product.id}>
                    <td>{product.name}</td>
                    <td>{product.sku}</td>
                    <td>{money(product.price, product.currency)}</td>
                    <td>{product.active ? 'active' : 'inactive'}</td>
                    <td>
                      <Link to={`/admin/stock?product=${product.id}`}>
                        Stock<span className="sr-only"> of {product.name}</span>
                      </Link>{' '}
                      <button type="button" onClick={() => setEditing(product)}>
                        Edit<span className="sr-only"> {product.name}</span>
                      </button>{' '}
                      <button type="button" className={product.active ? 'danger' : ''} disabled={action.busy} onClick={() => setActive(product, !product.active)}>
                        {product.active ? 'Deactivate' : 'Reactivate'}
                        <span className="sr-only"> {product.name}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager page={data.page} limit={data.limit} total={data.total} onPage={(next) => navigate(`/admin/products?page=${next}`)} />
          </>
        )}
      </Loaded>
    </>
  );
}
