import { createHash } from 'node:crypto';
import type { ConfirmChannel, GetMessage } from 'amqplib';
import { AppError } from '../errors';
import { Semaphore } from '../semaphore';
import type { BrokerConnection } from './broker-connection';
import { ATTEMPT_HEADER, DEAD_LETTERED_AT_HEADER, LAST_ERROR_HEADER } from './consumer';
import { dlqOf } from './topology';

/** One message in a service's dead-letter queue, as an operator sees it. */
export interface DeadLetter {
  /** The event id (the AMQP message id), or a digest of the body for a message without one. */
  messageId: string;
  type: string | null;
  /** The queue whose consumer gave up on it (the service's queue; the message sits in `<queue>.dlq`). */
  queue: string;
  /** The handler's last error, or why the broker dead-lettered it. */
  error: string | null;
  attempts: number | null;
  deadLetteredAt: string | null;
  /** The message body: the CloudEvent, or the raw text when it is not JSON. */
  event: unknown;
}

export interface DeadLetterList {
  queue: string;
  /** Messages waiting in the dead-letter queue (`items` holds at most the `limit` oldest). */
  total: number;
  items: DeadLetter[];
}

/** Headers a replay drops: the message starts over with every retry, as a new delivery. */
const RESET_HEADERS = [ATTEMPT_HEADER, LAST_ERROR_HEADER, DEAD_LETTERED_AT_HEADER, 'x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'x-delivery-count'];
const REPLAYS_HEADER = 'x-replays';

/**
 * Reads, replays and discards the dead letters of one consumer queue.
 *
 * AMQP cannot peek, so reading is `basic.get` without auto-ack on a channel of its own: every message
 * taken stays unacknowledged — invisible to others, not removed — until the operation ends and
 * `nackAll(requeue)` hands them all back (closing the channel would too, also on a crash). Nothing else
 * consumes a DLQ, so a scan meets each message once: no loop, no loss. `basic.nack` does not count as
 * a failed delivery (unlike `basic.reject`), so listing never pushes a dead letter towards a
 * delivery limit. The management HTTP API was not chosen: its "get" does the same thing underneath
 * and would add a second endpoint and credentials to every service.
 *
 * Operations of one process run one at a time. An operation running in another instance of the
 * service at the same moment holds its messages for that moment: they are missing from a listing,
 * and a replay or discard of one of them answers 404 — trying again a moment later finds it.
 */
export class DeadLetters {
  private readonly oneAtATime = new Semaphore(1);

  constructor(
    private readonly broker: BrokerConnection,
    readonly queue: string,
    /** How many messages a replay or discard looks through for its id before answering 404. */
    private readonly maxScan = 10_000,
  ) {}

  /** The oldest `limit` dead letters and how many there are; nothing is removed. */
  list(limit: number): Promise<DeadLetterList> {
    return this.session(async (channel, next) => {
      const { messageCount } = await channel.checkQueue(dlqOf(this.queue));
      const items: DeadLetter[] = [];
      while (items.length < limit) {
        const message = await next();
        if (!message) break;
        items.push(this.describe(message));
      }
      return { queue: this.queue, total: messageCount, items };
    });
  }

  /**
   * Sends the dead letter back to the service's queue (only this service's consumer gets it again)
   * with its retries reset, then removes it from the DLQ. Safe because every consumer is idempotent;
   * the copy is confirmed by the broker before the original is acked, so a crash in between
   * leaves a duplicate, never a loss.
   */
  replay(messageId: string): Promise<DeadLetter> {
    return this.session(async (channel, next) => {
      const message = await this.find(messageId, next);
      const headers: Record<string, unknown> = { ...message.properties.headers };
      for (const header of RESET_HEADERS) delete headers[header];
      headers[REPLAYS_HEADER] = Number(message.properties.headers?.[REPLAYS_HEADER] ?? 0) + 1;
      await new Promise<void>((resolve, reject) => {
        channel.sendToQueue(this.queue, message.content, { ...message.properties, persistent: true, headers }, (error) =>
          error ? reject(error instanceof Error ? error : new Error('replay not confirmed')) : resolve(),
        );
      });
      channel.ack(message);
      return this.describe(message);
    });
  }

  /** Removes the dead letter for good. */
  discard(messageId: string): Promise<DeadLetter> {
    return this.session(async (channel, next) => {
      const message = await this.find(messageId, next);
      channel.ack(message);
      return this.describe(message);
    });
  }

  private async find(messageId: string, next: () => Promise<GetMessage | false>): Promise<GetMessage> {
    for (let scanned = 0; scanned < this.maxScan; scanned += 1) {
      const message = await next();
      if (!message) break;
      if (idOf(message) === messageId) return message;
    }
    throw new AppError('not_found', 'DEAD_LETTER.NOT_FOUND', `No message ${messageId} in ${dlqOf(this.queue)}`);
  }

  /** Runs `work` with messages taken from the DLQ and held; whatever it did not ack goes back. */
  private session<T>(work: (channel: ConfirmChannel, next: () => Promise<GetMessage | false>) => Promise<T>): Promise<T> {
    return this.oneAtATime.run(async () => {
      if (!this.broker.isConnected) throw new AppError('unavailable', 'BROKER.UNAVAILABLE', 'RabbitMQ is not reachable; dead letters cannot be read now');
      return this.broker.withChannel(async (channel) => {
        try {
          return await work(channel, () => channel.get(dlqOf(this.queue), { noAck: false }));
        } finally {
          // On a channel the broker already closed there is nothing to hand back (it did so itself).
          try {
            channel.nackAll(true);
          } catch {
            // closed: its deliveries went back with it
          }
        }
      });
    });
  }

  private describe(message: GetMessage): DeadLetter {
    const headers: Record<string, unknown> = message.properties.headers ?? {};
    const death = firstDeath(headers['x-death']);
    const text = message.content.toString('utf8');
    let event: unknown = text;
    try {
      event = JSON.parse(text);
    } catch {
      // Not JSON (the reason it was dead-lettered): shown as the text it is.
    }
    const attempts = headers[ATTEMPT_HEADER];
    const type = message.properties.type as unknown;
    return {
      messageId: idOf(message),
      type: typeof type === 'string' ? type : null,
      queue: this.queue,
      error: stringOrNull(headers[LAST_ERROR_HEADER]) ?? (death?.reason ? `dead-lettered by the broker: ${death.reason}` : null),
      attempts: typeof attempts === 'number' ? attempts : null,
      deadLetteredAt: stringOrNull(headers[DEAD_LETTERED_AT_HEADER]),
      event,
    };
  }
}

/** The event id, or (for a message published without one) a stable digest of its body. */
function idOf(message: GetMessage): string {
  const id = message.properties.messageId as unknown;
  if (typeof id === 'string' && id.length > 0) return id;
  return `sha256-${createHash('sha256').update(message.content).digest('hex').slice(0, 40)}`;
}

function stringOrNull(value: unknown): string | null {
  if (typeof value === 'string') return value;
  // amqplib hands long string headers over as Buffers.
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return null;
}

/** The broker's own record when it dead-lettered the message (delivery limit), if it did. */
function firstDeath(value: unknown): { reason?: string } | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const entry = value[0] as Record<string, unknown>;
  return { reason: stringOrNull(entry['reason']) ?? undefined };
}
