import { gateway, unwrap, type Registry } from '../api/clients';
import { Loaded, Status, useLoad } from '../ui';

/** The registry as the gateway sees it, and links to the infrastructure UIs (CONSOLE_LINKS). */
export function AdminServices() {
  const registry = useLoad(async () => unwrap(await gateway.GET('/registry', { headers: { accept: 'application/json' }, parseAs: 'json' })) as Registry, []);
  const links = useLoad(async () => unwrap(await gateway.GET('/api/console/links')), []);
  return (
    <>
      <h2>Services</h2>
      <Loaded state={registry} empty={(data) => data.services.length === 0 && 'No instance is registered.'}>
        {(data) => (
          <>
            <p className="muted">Discovery: {data.discovery}</p>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Instance</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last heartbeat</th>
                </tr>
              </thead>
              <tbody>
                {data.services.flatMap((service) =>
                  service.instances.map((instance) => (
                    <tr key={instance.id}>
                      <td>{service.name}</td>
                      <td>
                        {instance.id}
                        <div className="muted">{instance.url}</div>
                      </td>
                      <td>
                        <Status status={instance.status} />
                      </td>
                      <td>{instance.lastSeen ? new Date(instance.lastSeen).toLocaleTimeString() : '—'}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </>
        )}
      </Loaded>
      <h2>Infrastructure</h2>
      <Loaded state={links} empty={(data) => data.links.length === 0 && 'No links configured (CONSOLE_LINKS).'}>
        {(data) => (
          <ul>
            {data.links.map((link) => (
              <li key={link.url}>
                <a href={link.url} target="_blank" rel="noreferrer noopener">
                  {link.label}
                </a>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </>
  );
}
