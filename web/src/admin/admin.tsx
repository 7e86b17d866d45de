import { Link } from '../router';
import { AdminDeadLetters } from './dead-letters';
import { AdminOrders } from './orders';
import { AdminProducts } from './products';
import { AdminServices } from './services';
import { AdminStock } from './stock';
import { AdminUsers } from './users';

const sections = [
  { path: '/admin/products', label: 'Products', Page: AdminProducts },
  { path: '/admin/stock', label: 'Stock', Page: AdminStock },
  { path: '/admin/orders', label: 'Orders', Page: AdminOrders },
  { path: '/admin/users', label: 'Users', Page: AdminUsers },
  { path: '/admin/dead-letters', label: 'Dead letters', Page: AdminDeadLetters },
  { path: '/admin/services', label: 'Services', Page: AdminServices },
] as const;

/** The operations console (admin role; the API checks it again on every call). */
export default function Admin({ path }: { path: string }) {
  const current = sections.find((section) => path.startsWith(section.path)) ?? sections[0];
  const { Page } = current;
  return (
    <section>
      <h1>Operations console</h1>
      <nav aria-label="Console">
        <ul className="tabs">
          {sections.map((section) => (
            <li key={section.path}>
              <Link to={section.path} aria-current={section === current ? 'page' : undefined}>
                {section.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <Page />
    </section>
  );
}
