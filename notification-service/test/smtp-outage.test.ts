import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { faultSkip, freePort, mailbox, request, startTestIssuer, testInfra, type ServiceProcess, type TestIssuer } from '@oip/testkit';
import { customerNotifications, listNotifications, newCustomer, orderRef, publishUntil, startNotificationService, TestPublisher, waitForQueueDrained, type NotificationView } from './support';

/**
 * SMTP trouble never loses a notification nor sends it twice: while the mail server is down the
 * notification stays pending and the event is retried with backoff; once it is back the e-mail
 * goes out exactly once; when every attempt fails it is kept as failed, visible in the API.
 */
describe('notification-service when SMTP fails', () => {
  let issuer: TestIssuer;
  let publisher: TestPublisher;
  const mail = mailbox();

  before(async () => {
    issuer = await startTestIssuer();
    publisher = new TestPublisher();
    await publisher.start();
  });

  after(async () => {
    await publisher?.close();
    await issuer?.close();
  });

  describe('and comes back', { skip: faultSkip() }, () => {
    let service: ServiceProcess;

    before(async () => {
      // Enough retries (200 ms doubling) to outlast an SMTP restart.
      service = await startNotificationService(issuer, { RABBITMQ_MAX_RETRIES: '10' });
      await waitForQueueDrained();
    });

    after(async () => {
      await service?.stop();
    });

    it('When SMTP is down, then the notification stays pending and is retried; after SMTP is back the e-mail is sent exactly once', async () => {
      const admin = issuer.admin();
      const customer = newCustomer();
      const ref = orderRef(customer);
      const infra = testInfra();
      const event = publisher.event('order_confirmed', { ...ref, total: '9.99', currency: 'EUR' }, ref.orderId);
      let pending: NotificationView | undefined;

      await infra.stop('smtp');
      try {
        [pending] = await publishUntil(publisher, event, customerNotifications(service, admin, customer.customerId, (items) => items[0]?.status === 'pending' && (items[0]?.attempts ?? 0) >= 2));
      } finally {
        await infra.start('smtp');
      }

      assert.equal(pending?.type, 'order_confirmed');
      assert.ok(pending?.lastError, 'the admin sees why the last attempt failed');
      assert.equal(pending?.sentAt, undefined);
      // Re-publishing (only if a purge by another suite removed our retrying message) is a redelivery.
      const [sent] = await publishUntil(publisher, event, customerNotifications(service, admin, customer.customerId, (items) => items[0]?.status === 'sent'), { timeoutMs: 60_000, alreadyPublished: true });
      // Sent is final (no delivery sends after it), so the catcher can be counted now.
      const emails = await mail.waitForMessages(customer.email, { timeoutMs: 30_000 });
      assert.equal(emails.length, 1);
      assert.equal((await mail.messagesTo(customer.email)).length, 1);
      assert.equal(emails[0]?.subject, `Your order ${ref.orderId} is confirmed`);
      assert.equal(sent?.id, pending?.id);
      assert.ok((sent?.attempts ?? 0) > (pending?.attempts ?? 0));
      assert.equal(sent?.lastError, undefined);
      assert.equal((await listNotifications(service, admin, `?customerId=${customer.customerId}`)).total, 1);
    });
  });

  describe('on every attempt', () => {
    let service: ServiceProcess;

    before(async () => {
      // An SMTP address where nothing listens: every attempt fails at once; 2 retries, then failed.
      service = await startNotificationService(issuer, { SMTP_PORT: String(await freePort()), RABBITMQ_MAX_RETRIES: '2' });
      await waitForQueueDrained();
    });

    after(async () => {
      await service?.stop();
    });

    it('When every attempt fails, then the notification is kept as failed with its attempts, visible to its owner and (with the reason) to admins', async () => {
      const admin = issuer.admin();
      const customer = newCustomer();
      const ref = orderRef(customer);

      const event = publisher.event('order_confirmed', { ...ref, total: '1.00', currency: 'EUR' }, ref.orderId);

      const [failed] = await publishUntil(publisher, event, customerNotifications(service, admin, customer.customerId, (items) => items[0]?.status === 'failed'));
      assert.equal(failed?.attempts, 3);
      assert.match(failed?.lastError ?? '', /ECONNREFUSED/);
      const own = await listNotifications(service, issuer.user(customer.customerId), '?status=failed');
      assert.deepEqual(own.items.map((item) => item.id), [failed?.id]);
      assert.equal(own.items[0]?.lastError, undefined);
      const one = await request<NotificationView>('GET', `${service.url}/notifications/${failed?.id ?? ''}`, { token: issuer.user(customer.customerId) });
      assert.equal(one.body.status, 'failed');
    });
  });
});
