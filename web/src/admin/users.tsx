import { unwrap, users, type User } from '../api/clients';
import { useAuth } from '../auth';
import { navigate, useLocation } from '../router';
import { ErrorBox, Loaded, Pager, useAction, useLoad } from '../ui';

function RoleToggle({ user, onChange }: { user: User; onChange: () => void }) {
  const { user: me } = useAuth();
  const action = useAction();
  const admin = user.roles.includes('admin');
  const toggle = (): void =>
    void action.run(async () => {
      const roles: Array<'admin' | 'user'> = admin ? ['user'] : ['user', 'admin'];
      unwrap(await users.PUT('/users/{id}/roles', { params: { path: { id: user.id } }, body: { roles } }));
      onChange();
    });
  return (
    <>
      <button type="button" disabled={action.busy || user.id === me?.id} onClick={toggle}>
        {admin ? 'Remove admin' : 'Make admin'}
        <span className="sr-only"> {user.email}</span>
      </button>
      <ErrorBox>{action.error}</ErrorBox>
    </>
  );
}

export function AdminUsers() {
  const { query } = useLocation();
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const list = useLoad(async () => unwrap(await users.GET('/users', { params: { query: { page, limit: 20 } } })), [page]);
  return (
    <Loaded state={list} empty={(data) => data.items.length === 0 && 'No users.'}>
      {(data) => (
        <>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Roles</th>
                <th scope="col">Active</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((user) => (
                <tr key={user.id}>
                  <td>{user.name}</td>
                  <td>{user.email}</td>
                  <td>{user.roles.join(', ')}</td>
                  <td>{user.active ? 'yes' : 'no'}</td>
                  <td>
                    <RoleToggle user={user} onChange={list.reload} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={data.page} limit={data.limit} total={data.total} onPage={(next) => navigate(`/admin/users?page=${next}`)} />
        </>
      )}
    </Loaded>
  );
}
