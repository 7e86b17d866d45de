import { lazy, Suspense, useEffect, useRef } from 'react';
import { useAuth } from './auth';
import { useCart } from './cart';
import { CartPage } from './pages/cart';
import { Catalogue } from './pages/catalogue';
import { LoginPage } from './pages/login';
import { MyNotifications, MyOrders } from './pages/my-orders';
import { OrderPage } from './pages/order';
import { ProductPage } from './pages/product';
import { Link, match, navigate, useLocation } from './router';
import { Empty, Loading } from './ui';

// The console is a chunk of its own: shoppers never download it.
const Admin = lazy(() => import('./admin/admin'));

function Page({ path }: { path: string }) {
  const { user, isAdmin } = useAuth();
  const needsUser = ['/orders', '/notifications'].some((prefix) => path.startsWith(prefix)) || path.startsWith('/admin');
  useEffect(() => {
    if (user === null && needsUser) navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true });
  }, [user, needsUser, path]);
  if (needsUser && !user) return <Loading />;

  if (path === '/') return <Catalogue />;
  if (path === '/login') return <LoginPage mode="login" />;
  if (path === '/signup') return <LoginPage mode="signup" />;
  if (path === '/cart') return <CartPage />;
  if (path === '/orders') return <MyOrders />;
  if (path === '/notifications') return <MyNotifications />;
  let params = match('/products/:id', path);
  if (params?.['id']) return <ProductPage id={params['id']} />;
  params = match('/orders/:id', path);
  if (params?.['id']) return <OrderPage id={params['id']} />;
  if (path === '/admin' || path.startsWith('/admin/')) {
    if (!isAdmin)
      return (
        <section>
          <h1>Operations console</h1>
          <p className="error" role="alert">
            This page is for operators (the admin role).
          </p>
        </section>
      );
    return (
      <Suspense fallback={<Loading what="Loading the console" />}>
        <Admin path={path} />
      </Suspense>
    );
  }
  return (
    <section>
      <h1>Not found</h1>
      <Empty>
        Nothing here. <Link to="/">Back to the catalogue</Link>
      </Empty>
    </section>
  );
}

export function App() {
  const { path } = useLocation();
  const { user, isAdmin, logout } = useAuth();
  const lines = useCart();
  const main = useRef<HTMLElement>(null);
  const count = lines.reduce((sum, line) => sum + line.quantity, 0);
  // A client route change moves focus to the new page, as a page load would for a screen reader.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Order &amp; Inventory
        </Link>
        <nav aria-label="Main">
          <Link to="/">Catalogue</Link>
          <Link to="/cart">Cart ({count})</Link>
          {user && <Link to="/orders">My orders</Link>}
          {user && <Link to="/notifications">Notifications</Link>}
          {isAdmin && <Link to="/admin">Console</Link>}
          {user ? (
            <button type="button" className="link" onClick={() => void logout()}>
              Log out<span className="sr-only"> {user.email}</span>
            </button>
          ) : (
            user === null && (
              <>
                <Link to="/login">Log in</Link>
                <Link to="/signup">Sign up</Link>
              </>
            )
          )}
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page path={path} />
      </main>
    </>
  );
}
