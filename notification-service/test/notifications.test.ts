import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { mailbox, request, startTestIssuer, waitFor, type ServiceProcess, type TestIssuer } from '@oip/testkit';
import type { Connection } from 'mongoose';
import {
  connectNotificationDb,
  customerNotifications,
  listNotifications,
  newCustomer,
  orderRef,
  publishUntil,
  startNotificationService,
  TestPublisher,
  waitForNotifications,
  waitForQueueDrained,
  type NotificationView,
} from './support';

/**
 * notification-service as a process, fed through the real broker, sending through the real SMTP
 * catcher. The queue and the mailbox are shared with other suites: every assertion looks only at
 * this test's own customer ids and addresses.
 */
describe('notification-service: events become stored notifications and e-mails', () => {
  let issuer: TestIssuer;
  let service: ServiceProcess;
  let publisher: TestPublisher;
  let db: Connection;
  let admin: string;
  const mail = mailbox();
  const opsEmail = `ops-${randomUUID().slice(0, 8)}@example.com`;

  before(async () => {
    issuer = await startTestIssuer();
    publisher = new TestPublisher();
    await publisher.start();
    db = await connectNotificationDb();
    service = await startNotificationService(issuer, { OPS_EMAIL: opsEmail });
    admin = issuer.admin();
    await waitForQueueDrained();
  });

  /** A probe: the messages to `address`, once there are any. */
  const arrived = async (address: string) => {
    const messages = await mail.messagesTo(address);
    return messages.length > 0 ? messages : undefined;
  };

  after(async () => {
    await service?.stop();
    await publisher?.close();
    await db?.close();
    await issuer?.close();
  });

  it('When an order is confirmed, then one notification is stored as sent and the customer gets the e-mail (text and HTML)', async () => {
    const customer = newCustomer();
    const ref = orderRef(customer);
    const event = publisher.event('order_confirmed', { ...ref, total: '42.50', currency: 'EUR' }, ref.orderId);

    const [stored] = await publishUntil(publisher, event, customerNotifications(service, admin, customer.customerId, (items) => items[0]?.status === 'sent'));

    const [email] = await mail.waitForMessages(customer.email);
    assert.deepEqual(
      { type: stored?.type, eventId: stored?.eventId, orderId: stored?.orderId, customerId: stored?.customerId, recipient: stored?.recipient, channel: stored?.channel, attempts: stored?.attempts },
      { type: 'order_confirmed', eventId: event.id, orderId: ref.orderId, customerId: customer.customerId, recipient: customer.email, channel: 'email', attempts: 1 },
    );
    assert.equal(stored?.subject, `Your order ${ref.orderId} is confirmed`);
    assert.ok(stored?.sentAt && stored.createdAt && Date.parse(stored.sentAt) >= Date.parse(stored.createdAt));
    assert.equal(email?.subject, `Your order ${ref.orderId} is confirmed`);
    assert.deepEqual(email?.to, [customer.email]);
    assert.match(email?.text ?? '', /Total: 42.50 EUR/);
    assert.match(email?.html ?? '', /<p>Total: 42.50 EUR<\/p>/);
  });

  it('When the same event is published 5 times, then there is one notification and one e-mail', async () => {
    const customer = newCustomer();
    const ref = orderRef(customer);
    const event = publisher.event('order_shipped', { ...ref, items: [{ productId: randomUUID(), quantity: 2 }] }, ref.orderId);

    const before = await handledCount(service, 'order_shipped');
    await Promise.all(Array.from({ length: 5 }, () => publisher.publish(event)));

    await publishUntil(publisher, event, customerNotifications(service, admin, customer.customerId, (items) => items[0]?.status === 'sent'), { alreadyPublished: true });
    await mail.waitForMessages(customer.email);
    // All five copies have been handled (retried ones included): the counter moves after the handler,
    // and so after any e-mail it sent.
    await waitFor(async () => ((await handledCount(service, 'order_shipped')) >= before + 5 ? true : undefined), 30_000);
    const page = await listNotifications(service, admin, `?customerId=${customer.customerId}`);
    assert.equal(page.total, 1);
    assert.equal(page.items[0]?.attempts, 1);
    assert.equal((await mail.messagesTo(customer.email)).length, 1);
  });

  it('When an event is delivered again after it was handled, then the stored notification prevents a second one and a second e-mail', async () => {
    const customer = newCustomer();
    const ref = orderRef(customer);
    const event = publisher.event('order_cancelled', { ...ref, items: [{ productId: randomUUID(), quantity: 1 }] }, ref.orderId);
    await publishUntil(publisher, event, customerNotifications(service, admin, customer.customerId, (items) => items[0]?.status === 'sent'));
    const before = await handledCount(service, 'order_cancelled');

    await publisher.publish(event);

    await waitFor(async () => ((await handledCount(service, 'order_cancelled')) > before ? true : undefined), 30_000);
    const page = await listNotifications(service, admin, `?customerId=${customer.customerId}`);
    assert.equal(page.total, 1);
    assert.equal(page.items[0]?.attempts, 1);
    assert.equal((await mail.messagesTo(customer.email)).length, 1);
  });

  it('When the delivery that stored a notification crashed before sending, then the next delivery sends it once, as attempt 2, after its lease', async () => {
    const customer = newCustomer();
    const ref = orderRef(customer);
    const event = publisher.event('order_confirmed', { ...ref, total: '9.90', currency: 'EUR' }, ref.orderId);
    // What a crashed first delivery leaves: stored, `sending` with attempt 1 and a lapsed lease, no attempt row.
    const now = Date.now();
    await db.collection('notifications').insertOne({
      type: 'order_confirmed',
      eventId: event.id,
      orderId: ref.orderId,
      customerId: customer.customerId,
      recipient: customer.email,
      channel: 'email',
      subject: `Your order ${ref.orderId} is confirmed`,
      text: 'Total: 9.90 EUR',
      html: '<p>Total: 9.90 EUR</p>',
      status: 'sending',
      attempts: 1,
      leaseUntil: new Date(now - 1000),
      createdAt: new Date(now - 120_000),
      updatedAt: new Date(now - 120_000),
    });

    const [sent] = await publishUntil(publisher, event, customerNotifications(service, admin, customer.customerId, (items) => items[0]?.status === 'sent'));

    await mail.waitForMessages(customer.email);
    assert.equal(sent?.attempts, 2);
    assert.equal((await mail.messagesTo(customer.email)).length, 1);
  });

  it('When an order is rejected for short stock, then the e-mail names the short item with requested and available', async () => {
    const customer = newCustomer();
    const ref = orderRef(customer);
    const productId = randomUUID();

    const event = publisher.event('order_rejected', { ...ref, reason: 'insufficient stock', shortItems: [{ productId, name: 'Brass lamp', requested: 5, available: 2 }] }, ref.orderId);

    const [email] = await publishUntil(publisher, event, () => arrived(customer.email));
    assert.equal(email?.subject, `Your order ${ref.orderId} could not be placed`);
    assert.match(email?.text ?? '', /Brass lamp: requested 5, available 2/);
    assert.match(email?.html ?? '', /<li>Brass lamp: requested 5, available 2<\/li>/);
    const [stored] = await waitForNotifications(service, admin, customer.customerId, (items) => items[0]?.status === 'sent');
    assert.equal(stored?.type, 'order_rejected');
  });

  it('When a user registers, then they get a welcome e-mail and own the notification (no order)', async () => {
    const customer = newCustomer();

    const event = publisher.event('user_registered', { userId: customer.customerId, email: customer.email, name: 'Ada' }, customer.customerId);

    const [email] = await publishUntil(publisher, event, () => arrived(customer.email));
    assert.equal(email?.subject, 'Welcome to Order & Inventory, Ada');
    const [stored] = await waitForNotifications(service, admin, customer.customerId, (items) => items[0]?.status === 'sent');
    assert.equal(stored?.orderId, undefined);
    assert.equal(stored?.customerId, customer.customerId);
  });

  it('When stock runs low, then the ops address is e-mailed and only admins see the notification', async () => {
    const productId = randomUUID();
    const someone = issuer.user(randomUUID());

    const event = publisher.event('stock_low', { productId, available: 1, threshold: 5 }, productId);

    const emails = await publishUntil(publisher, event, async () => {
      const found = (await mail.messagesTo(opsEmail)).filter((message) => message.subject.includes(productId));
      return found.length > 0 ? found : undefined;
    });
    assert.equal(emails.length, 1);
    assert.equal(emails[0]?.subject, `Low stock: product ${productId} has 1 left`);
    const stored = await waitFor(async () => {
      const page = await listNotifications(service, admin, '?type=stock_low&limit=100');
      return page.items.find((item) => item.subject.includes(productId));
    });
    assert.equal(stored.recipient, opsEmail);
    assert.equal(stored.customerId, undefined);
    assert.equal((await request('GET', `${service.url}/notifications/${stored.id}`, { token: someone })).status, 403);
    const mine = await listNotifications(service, someone, '?type=stock_low');
    assert.equal(mine.total, 0);
  });

  describe('reading notifications over HTTP', () => {
    const ann = newCustomer();
    const bob = newCustomer();
    let annItems: NotificationView[];

    before(async () => {
      const annOrder = orderRef(ann);
      const created = publisher.event('order_created', { ...annOrder, items: [{ productId: randomUUID(), name: 'Chair', quantity: 1, unitPrice: '80.00' }], total: '80.00', currency: 'EUR' }, annOrder.orderId);
      await publishUntil(publisher, created, customerNotifications(service, admin, ann.customerId, (items) => items.length === 1 && items[0]?.status === 'sent'));
      const confirmed = publisher.event('order_confirmed', { ...annOrder, total: '80.00', currency: 'EUR' }, annOrder.orderId);
      annItems = await publishUntil(publisher, confirmed, customerNotifications(service, admin, ann.customerId, (items) => items.length === 2 && items.every((item) => item.status === 'sent')));
      const bobOrder = orderRef(bob);
      const bobs = publisher.event('order_confirmed', { ...bobOrder, total: '5.00', currency: 'EUR' }, bobOrder.orderId);
      await publishUntil(publisher, bobs, customerNotifications(service, admin, bob.customerId, (items) => items.length === 1 && items[0]?.status === 'sent'));
    });

    it('When a user lists notifications, then they see only their own, newest first, in a page', async () => {
      const page = await listNotifications(service, issuer.user(ann.customerId));

      assert.deepEqual(
        page.items.map((item) => item.type),
        ['order_confirmed', 'order_created'],
      );
      assert.ok(page.items.every((item) => item.customerId === ann.customerId && item.channel === 'email' && item.status === 'sent'));
      assert.deepEqual({ page: page.page, limit: page.limit, total: page.total }, { page: 1, limit: 20, total: 2 });
      assert.ok(page.items.every((item) => !('html' in item) && !('text' in item) && !('_id' in item) && !('__v' in item)));
    });

    it('When a user filters by type and pages, then the filter and paging apply within their own', async () => {
      const token = issuer.user(ann.customerId);

      const created = await listNotifications(service, token, '?type=order_created');
      const second = await listNotifications(service, token, '?limit=1&page=2');
      const capped = await listNotifications(service, token, '?limit=5000&status=sent');

      assert.deepEqual(created.items.map((item) => item.type), ['order_created']);
      assert.equal(created.total, 1);
      assert.deepEqual({ type: second.items[0]?.type, count: second.items.length, total: second.total }, { type: 'order_created', count: 1, total: 2 });
      assert.equal(capped.limit, 100);
      assert.equal(capped.total, 2);
    });

    it('When an admin lists, then they see everyone and can filter by customerId', async () => {
      const all = await listNotifications(service, admin, '?limit=100');
      const bobs = await listNotifications(service, admin, `?customerId=${bob.customerId}`);

      assert.ok(all.total >= 3);
      assert.deepEqual(bobs.items.map((item) => item.customerId), [bob.customerId]);
    });

    it("When a user asks for someone else's notifications, then the answer is 403", async () => {
      const bobsId = (await listNotifications(service, issuer.user(bob.customerId))).items[0]?.id;

      const byId = await request('GET', `${service.url}/notifications/${bobsId}`, { token: issuer.user(ann.customerId) });
      const byFilter = await request('GET', `${service.url}/notifications?customerId=${bob.customerId}`, { token: issuer.user(ann.customerId) });

      assert.equal(byId.status, 403);
      assert.equal(byId.headers.get('content-type')?.startsWith('application/problem+json'), true);
      assert.equal(byFilter.status, 403);
    });

    it('When the owner or an admin gets one notification, then it answers with its text body', async () => {
      const id = annItems[0]?.id ?? '';

      const own = await request<NotificationView>('GET', `${service.url}/notifications/${id}`, { token: issuer.user(ann.customerId) });
      const byAdmin = await request<NotificationView>('GET', `${service.url}/notifications/${id}`, { token: admin });

      assert.equal(own.status, 200);
      assert.equal(own.body.id, id);
      assert.match(own.body.text ?? '', /80.00 EUR/);
      assert.equal(byAdmin.status, 200);
    });

    it('When the id is malformed or unknown, then the answer is 404', async () => {
      const malformed = await request('GET', `${service.url}/notifications/not-an-id`, { token: admin });
      const unknown = await request('GET', `${service.url}/notifications/${'0'.repeat(24)}`, { token: admin });

      assert.equal(malformed.status, 404);
      assert.equal(unknown.status, 404);
    });

    it('When there is no token or a bad query, then the answer is 401 or 400', async () => {
      const noToken = await request('GET', `${service.url}/notifications`);
      const noTokenOne = await request('GET', `${service.url}/notifications/${annItems[0]?.id ?? ''}`);
      const badStatus = await request<{ errors: Record<string, string> }>('GET', `${service.url}/notifications?status=lost`, { token: admin });

      assert.equal(noToken.status, 401);
      assert.equal(noTokenOne.status, 401);
      assert.equal(badStatus.status, 400);
      assert.ok('query.status' in badStatus.body.errors);
    });

    it('When the OpenAPI document is read, then it describes both routes with their query and bearer security', async () => {
      const answer = await request<{ paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; responses: Record<string, unknown> }>> }>('GET', `${service.url}/openapi.json`);

      const list = answer.body.paths['/notifications']?.['get'];
      const one = answer.body.paths['/notifications/{id}']?.['get'];
      assert.deepEqual(list?.parameters?.map((parameter) => parameter.name).sort(), ['customerId', 'limit', 'page', 'status', 'type']);
      assert.ok(list?.responses['401']);
      assert.ok(one?.responses['404']);
    });
  });
});

/** How many events of a type the service has handled, from its own /metrics. */
async function handledCount(service: { url: string }, type: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('events_consumed_total{') && line.includes(`type="${type}"`) && line.includes('outcome="processed"')) total += Number(line.split(' ').at(-1));
  }
  return total;
}
