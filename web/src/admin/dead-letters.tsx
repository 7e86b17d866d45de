import { gateway, unwrap } from '../api/clients';
import { ErrorBox, Loaded, useAction, useLoad } from '../ui';

/** Events a service gave up on, per service, with replay (safe: every consumer is idempotent) and discard. */
export function AdminDeadLetters() {
  const list = useLoad(async () => unwrap(await gateway.GET('/api/admin/dead-letters', { params: { query: { limit: 100 } } })), []);
  const action = useAction();
  const act = (service: string, messageId: string, what: 'replay' | 'discard'): void =>
    void action.run(async () => {
      const path = what === 'replay' ? '/api/admin/dead-letters/{service}/{messageId}/replay' : '/api/admin/dead-letters/{service}/{messageId}/discard';
      unwrap(await gateway.POST(path, { params: { path: { service, messageId } } }));
      list.reload();
    });
  return (
    <Loaded state={list}>
      {(data) => (
        <>
          <ErrorBox>{action.error}</ErrorBox>
          {data.services.map((service) => {
            const items = data.items.filter((item) => item.service === service.name);
            return (
              <section key={service.name}>
                <h2>
                  {service.name} <span className={`badge badge-${service.status}`}>{service.status}</span> <span className="muted">{service.total ?? '?'} dead-lettered</span>
                </h2>
                {items.length === 0 ? (
                  <p className="muted">{service.status === 'ok' ? 'Nothing dead-lettered.' : 'The service did not answer.'}</p>
                ) : (
                  <ul className="rows">
                    {items.map((item) => (
                      <li key={item.messageId} data-message={item.messageId}>
                        <strong>{item.type ?? 'unknown event'}</strong> <span className="muted">{item.deadLetteredAt ? new Date(item.deadLetteredAt).toLocaleString() : ''}, {item.attempts ?? '?'} attempts</span>
                        <p className="error">{item.error ?? 'no error recorded'}</p>
                        <details>
                          <summary>Event</summary>
                          <pre>{JSON.stringify(item.event, null, 2)}</pre>
                        </details>
                        <button type="button" disabled={action.busy} onClick={() => act(service.name, item.messageId, 'replay')}>
                          Replay<span className="sr-only"> {item.type ?? 'event'} {item.messageId}</span>
                        </button>{' '}
                        <button type="button" className="danger" disabled={action.busy} onClick={() => act(service.name, item.messageId, 'discard')}>
                          Discard<span className="sr-only"> {item.type ?? 'event'} {item.messageId}</span>
                        </button>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            );
          })}
        </>
      )}
    </Loaded>
  );
}
