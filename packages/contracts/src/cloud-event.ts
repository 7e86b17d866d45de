import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { eventDataSchemas, isEventType, type EventData, type EventType } from './events';

/**
 * CloudEvents 1.0, JSON structured mode, with our two extensions and the CloudEvents
 * distributed-tracing extension (`traceparent`: the W3C trace context of the work that produced the
 * event, kept in the outbox with it, so the consumer continues that trace).
 */
export const CloudEventEnvelope = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  subject: z.string().min(1),
  datacontenttype: z.literal('application/json'),
  data: z.unknown(),
  correlationid: z.string().min(1).optional(),
  causationid: z.string().min(1).optional(),
  traceparent: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/).optional(),
});

export interface CloudEvent<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: EventData<T>;
  correlationid?: string;
  causationid?: string;
  traceparent?: string;
}

/** Any event, narrowed by `type`. */
export type AnyCloudEvent = { [T in EventType]: CloudEvent<T> }[EventType];

/** Which request or event led to an event: the chain a trace follows across services. */
export interface Causation {
  /** The originating request's id, carried unchanged through every event it leads to. */
  correlationId?: string | undefined;
  /** The id of the event whose handling published this one. */
  causationId?: string | undefined;
}

export interface EventOptions extends Causation {
  /** The producing service, e.g. `/order-service`. */
  source: string;
  /** The aggregate the event is about (order id, product id, ...). */
  subject: string;
  /** Deterministic id for events that answer another event; random otherwise. */
  id?: string;
  time?: Date;
}

/** A contract violation: a message that does not match its schema. Never retried. */
export class EventContractError extends Error {
  readonly code = 'EVENT.CONTRACT_VIOLATION';
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'EventContractError';
  }
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

/** Builds an event and validates its data on the way out: a producer cannot publish a bad event. */
export function createEvent<T extends EventType>(type: T, data: EventData<T>, options: EventOptions): CloudEvent<T> {
  const parsed = eventDataSchemas[type].safeParse(data);
  if (!parsed.success) {
    throw new EventContractError(`invalid data for ${type}`, describeIssues(parsed.error));
  }
  const event: CloudEvent<T> = {
    specversion: '1.0',
    id: options.id ?? randomUUID(),
    source: options.source,
    type,
    time: (options.time ?? new Date()).toISOString(),
    subject: options.subject,
    datacontenttype: 'application/json',
    data: parsed.data as EventData<T>,
  };
  if (options.correlationId) event.correlationid = options.correlationId;
  if (options.causationId) event.causationid = options.causationId;
  return event;
}

/** Validates an incoming message (already JSON-decoded) against the envelope and its type's schema. */
export function parseEvent(raw: unknown): AnyCloudEvent {
  const envelope = CloudEventEnvelope.safeParse(raw);
  if (!envelope.success) {
    throw new EventContractError('not a CloudEvent', describeIssues(envelope.error));
  }
  const { type } = envelope.data;
  if (!isEventType(type)) {
    throw new EventContractError(`unknown event type ${type}`, [`type: ${type} is not a known event type`]);
  }
  const data = eventDataSchemas[type].safeParse(envelope.data.data);
  if (!data.success) {
    throw new EventContractError(`invalid data for ${type}`, describeIssues(data.error));
  }
  return { ...envelope.data, type, data: data.data } as AnyCloudEvent;
}

/**
 * A UUID (version 5 layout) derived from a name, so that an event answering another one gets the
 * same id every time it is produced: a retry that publishes again is deduplicated downstream.
 */
export function deterministicEventId(name: string): string {
  const bytes = createHash('sha1').update(`oip:${name}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
