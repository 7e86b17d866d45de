import { eventDataJsonSchemas } from './json-schema';
import { eventTypes, subscriptions, tokenRevocationTypes, type EventType } from './events';

/** Which service publishes each event type (docs/events.md). */
export const producers: Record<EventType, string> = {
  user_registered: 'user-service',
  user_roles_changed: 'user-service',
  user_deactivated: 'user-service',
  product_created: 'product-service',
  product_deleted: 'product-service',
  order_created: 'order-service',
  stock_reserved: 'inventory-service',
  stock_rejected: 'inventory-service',
  order_confirmed: 'order-service',
  order_rejected: 'order-service',
  order_cancelled: 'order-service',
  order_shipped: 'order-service',
  stock_low: 'inventory-service',
};

function consumersOf(type: EventType): string[] {
  return Object.entries(subscriptions)
    .filter(([, types]) => (types as readonly string[]).includes(type))
    .map(([service]) => service);
}

const revokesTokens = (type: EventType): boolean => (tokenRevocationTypes as readonly string[]).includes(type);

/**
 * The AsyncAPI 3.0 document of the event bus, generated from the zod schemas so that docs/ can
 * be checked against the code (tests/asyncapi.test.ts fails when they drift).
 */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const dataSchemas = eventDataJsonSchemas();
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const type of eventTypes) {
    messages[type] = {
      name: type,
      title: type,
      contentType: 'application/cloudevents+json',
      summary: `Published by ${producers[type]}; consumed by ${revokesTokens(type) ? 'every token verifier' : consumersOf(type).join(', ') || 'nobody yet'}`,
      payload: {
        type: 'object',
        required: ['specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'data'],
        properties: {
          specversion: { const: '1.0' },
          id: { type: 'string', description: 'UUID; deterministic for events that answer another event' },
          source: { const: `/${producers[type]}` },
          type: { const: type },
          time: { type: 'string', format: 'date-time' },
          subject: { type: 'string', description: 'Id of the aggregate the event is about' },
          datacontenttype: { const: 'application/json' },
          correlationid: { type: 'string', description: 'The x-request-id of the request that started the flow' },
          causationid: { type: 'string', description: 'Id of the event that caused this one' },
          traceparent: { type: 'string', description: 'CloudEvents distributed-tracing extension: W3C trace context of the work that produced the event' },
          data: dataSchemas[type],
        },
      },
    };
    channels[type] = {
      address: type,
      description: `Routing key ${type} on the durable topic exchange domain-events`,
      messages: { [type]: { $ref: `#/components/messages/${type}` } },
      bindings: { amqp: { is: 'routingKey', exchange: { name: 'domain-events', type: 'topic', durable: true, autoDelete: false } } },
    };
    operations[`publish_${type}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${type}` },
      summary: `${producers[type]} publishes ${type} through its outbox with publisher confirms`,
    };
    for (const consumer of consumersOf(type)) {
      operations[`${consumer}_receives_${type}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${type}` },
        summary: `${consumer} consumes ${type} from its quorum queue "${consumer}" (idempotent by event id)`,
      };
    }
    if (revokesTokens(type)) {
      operations[`token_verifiers_receive_${type}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${type}` },
        summary: `The gateway and every service instance receive ${type} on an exclusive, auto-delete queue of their own and refuse the subject's older tokens`,
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Order & Inventory platform events',
      version: '1.0.0',
      description: 'CloudEvents 1.0 (JSON structured mode) on the RabbitMQ topic exchange domain-events. Generated from packages/contracts; do not edit by hand: npm run docs:events',
    },
    defaultContentType: 'application/cloudevents+json',
    servers: { local: { host: '127.0.0.1:5672', protocol: 'amqp', description: 'scripts/infra.sh or docker compose' } },
    channels,
    operations,
    components: { messages },
  };
}
