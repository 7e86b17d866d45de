import { useState, type FormEvent } from 'react';
import { products, unwrap } from '../api/clients';
import { Link, navigate, useLocation } from '../router';
import { Loaded, money, Pager, useLoad } from '../ui';

const LIMIT = 12;

export function Catalogue() {
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const category = query.get('category') ?? '';
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const [text, setText] = useState(q);

  const list = useLoad(async () => unwrap(await products.GET('/products', { params: { query: { page, limit: LIMIT, ...(q ? { q } : {}), ...(category ? { category } : {}), sort: 'name' } } })), [q, category, page]);
  // The categories on offer, from the first hundred products (there is no category endpoint).
  const categories = useLoad(async () => {
    const all = unwrap(await products.GET('/products', { params: { query: { limit: 100 } } }));
    return [...new Set(all.items.map((item) => item.category).filter((name): name is string => Boolean(name)))].sort();
  }, []);
  // A category named in the address is offered even when the first hundred products do not have it.
  const offered = category && !(categories.data ?? []).includes(category) ? [category, ...(categories.data ?? [])] : (categories.data ?? []);

  const go = (next: { q?: string; category?: string; page?: number }): void => {
    const params = new URLSearchParams();
    const values = { q, category, page: 1, ...next };
    if (values.q) params.set('q', values.q);
    if (values.category) params.set('category', values.category);
    if (values.page > 1) params.set('page', String(values.page));
    navigate(`/${params.size ? `?${params.toString()}` : ''}`);
  };
  const search = (event: FormEvent): void => {
    event.preventDefault();
    go({ q: text.trim() });
  };

  return (
    <section>
      <h1>Catalogue</h1>
      <form className="filters" role="search" onSubmit={search}>
        <label>
          Search
          <input type="search" name="q" value={text} maxLength={100} onChange={(event) => setText(event.target.value)} />
        </label>
        <label>
          Category
          <select name="category" value={category} onChange={(event) => go({ category: event.target.value })}>
            <option value="">All categories</option>
            {offered.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      <Loaded state={list} empty={(data) => data.items.length === 0 && 'No product matches.'}>
        {(data) => (
          <>
            <ul className="cards">
              {data.items.map((product) => (
                <li key={product.id} className="card">
                  <h2>
                    <Link to={`/products/${product.id}`}>{product.name}</Link>
                  </h2>
                  {product.category && <p className="muted">{product.category}</p>}
                  <p className="price">{money(product.price, product.currency)}</p>
                </li>
              ))}
            </ul>
            <Pager page={data.page} limit={data.limit} total={data.total} onPage={(next) => go({ page: next })} />
          </>
        )}
      </Loaded>
    </section>
  );
}
