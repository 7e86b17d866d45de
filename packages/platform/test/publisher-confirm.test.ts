import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import amqp, { type ChannelModel } from 'amqplib';
import { createEvent } from '@oip/contracts';
import { testInfra, waitFor } from '@oip/testkit';
import { BrokerConnection, createLogger, EventPublisher } from '../src';
import { EXCHANGE } from '../src/messaging/topology';

const infra = testInfra();
const logger = createLogger('platform-test', 'error');

/**
 * A TCP proxy in front of the real broker that can silence channels: the broker's frames for a
 * silenced channel number are dropped on their way to the client, so a publish on it is never
 * confirmed while the connection and its other channels stay healthy.
 */
class SilencingProxy {
  readonly silenced = new Set<number>();
  /** Channel numbers the broker has sent frames on (0 is the connection itself). */
  readonly seen = new Set<number>();
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      this.sockets.add(client).add(upstream);
      client.pipe(upstream);
      let pending = Buffer.alloc(0);
      upstream.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        // AMQP 0-9-1 frame: type (1), channel (2), size (4), payload (size), frame end (1).
        while (pending.length >= 7) {
          const size = pending.readUInt32BE(3);
          if (pending.length < size + 8) break;
          const channel = pending.readUInt16BE(1);
          this.seen.add(channel);
          if (!this.silenced.has(channel)) client.write(pending.subarray(0, size + 8));
          pending = pending.subarray(size + 8);
        }
      });
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('EventPublisher when a channel stops confirming', () => {
  const brokerUrl = new URL(infra.rabbitmqUrl);
  const proxy = new SilencingProxy({ host: brokerUrl.hostname, port: Number(brokerUrl.port || 5672) });
  let broker: BrokerConnection;
  let admin: ChannelModel;
  const queue = `platform-test-confirm-${randomUUID().slice(0, 8)}`;

  before(async () => {
    const proxied = new URL(infra.rabbitmqUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(await proxy.listen());
    broker = new BrokerConnection(proxied.toString(), logger, { name: 'platform-test-confirm' });
    broker.start();
    await broker.whenConnected(20_000);
    admin = await amqp.connect(infra.rabbitmqUrl);
  });

  after(async () => {
    await broker.close();
    const channel = await admin.createChannel();
    await channel.deleteQueue(queue).catch(() => undefined);
    // The platform topology binds notification-service to stock_low too: leave it no test events.
    await channel.purgeQueue('notification-service').catch(() => undefined);
    await admin.close();
    await proxy.close();
  });

  it('When the confirm of a publish never comes, then the attempt times out, a fresh channel carries the event, and the publish resolves long before its deadline', async () => {
    const publisher = new EventPublisher(broker, logger, undefined, { confirmTimeoutMs: 300 });
    await publisher.start();
    const channel = await admin.createChannel();
    await channel.assertQueue(queue, { expires: 10 * 60_000 });
    await channel.bindQueue(queue, EXCHANGE, 'stock_low');
    const productId = `p-${randomUUID()}`;
    const event = createEvent('stock_low', { productId, available: 1, threshold: 5 }, { source: '/platform-test', subject: productId });
    // The publisher's channel is open (it declared the topology): from now on it never confirms.
    for (const number of proxy.seen) if (number !== 0) proxy.silenced.add(number);
    assert.ok(proxy.silenced.size > 0);

    const started = Date.now();
    await publisher.publish(event, 20_000);
    const took = Date.now() - started;

    assert.ok(took < 5_000, `publish took ${took} ms`);
    const ids = await waitFor(async () => {
      const message = await channel.get(queue, { noAck: true });
      return message ? [String(message.properties.messageId)] : undefined;
    }, 10_000, 100);
    assert.equal(ids[0], event.id);
  });
});
