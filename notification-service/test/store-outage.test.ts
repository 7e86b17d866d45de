import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { duplicateMessageIds, faultSkip, mailbox, startTestIssuer, testInfra, waitFor, type ServiceProcess, type TestIssuer } from '@oip/testkit';
import { listNotifications, newCustomer, orderRef, startNotificationService, TestPublisher, waitForQueueDrained } from './support';

/** Events in the burst; small enough for a shared two-core machine, big enough to catch sends in flight. */
const BURST = Number(process.env['CHAOS_BURST'] ?? 60);

/**
 * The notification store is FerretDB over PostgreSQL here, so a PostgreSQL restart takes it away
 * while e-mails are being sent. A message SMTP accepted just before must be recorded once the store
 * is back — and never sent a second time by the redelivery that comes after its send lease.
 */
describe('notification-service when its store restarts mid-burst', () => {
  let issuer: TestIssuer;
  let publisher: TestPublisher;
  let service: ServiceProcess;
  const mail = mailbox();

  before(async () => {
    issuer = await startTestIssuer();
    publisher = new TestPublisher();
    await publisher.start();
    // Enough retries to outlast the restart (200 ms doubling: 51 s in all); waiting on a send lease
    // spends none and comes back at the longest delay (26 s).
    service = await startNotificationService(issuer, { RABBITMQ_MAX_RETRIES: '8' });
    await waitForQueueDrained();
  });

  after(async () => {
    await service?.stop();
    await publisher?.close();
    await issuer?.close();
  });

  it('When PostgreSQL restarts while a burst of e-mails is sent, then every notification ends sent and each e-mail reaches the catcher once', { skip: faultSkip() }, async (t) => {
    const infra = testInfra();
    const admin = issuer.admin();
    const customer = newCustomer();
    const events = Array.from({ length: BURST }, () => {
      const ref = orderRef(customer);
      return publisher.event('order_confirmed', { ...ref, total: '3.00', currency: 'EUR' }, ref.orderId);
    });

    const publishing = Promise.all(events.map((event) => publisher.publish(event)));
    // Mid-burst: some e-mails out, most still to go.
    await waitFor(async () => ((await mail.messagesTo(customer.email)).length >= Math.ceil(BURST / 6) ? true : undefined), 30_000, 20);
    await infra.stop('postgres');
    await infra.start('postgres');
    await publishing;

    // Sent in the store is final: no delivery sends it after that, so the catcher can be counted then.
    const sent = await waitFor(async () => {
      const page = await listNotifications(service, admin, `?customerId=${customer.customerId}&status=sent&limit=100`).catch(() => undefined);
      return page && page.total === BURST ? page : undefined;
    }, 180_000, 500);
    const messages = await mail.waitForMessages(customer.email, { count: BURST, timeoutMs: 30_000 });
    const all = await listNotifications(service, admin, `?customerId=${customer.customerId}&limit=100`);
    // Whether this run hit the window at all: accepts the store refused while it was away.
    t.diagnostic(`accepted by SMTP while the store was away: ${service.output().split('the store refused its record').length - 1}`);

    assert.equal(sent.total, BURST);
    assert.equal(all.total, BURST, 'one notification per event');
    assert.deepEqual(duplicateMessageIds(messages), [], 'Message-IDs that reached the catcher more than once');
    assert.equal(messages.length, BURST);
  });
});
