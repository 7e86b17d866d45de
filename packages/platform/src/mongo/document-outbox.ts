import { EventContractError, type CloudEvent } from '@oip/contracts';
import type { Logger } from 'pino';
import type { EventPublisher } from '../messaging/publisher';
import { PollingLoop } from '../polling-loop';
import { OUTBOX_PENDING } from './outbox-flag';
import type { StringIdCollection } from './versioned-collection';

/**
 * A transactional outbox for MongoDB without multi-document transactions: the events a change
 * produces are stored *inside the changed document* (`outbox: [event, …]`) by the same atomic
 * write, so the change and its events exist together or not at all. This relay publishes them with
 * publisher confirms and removes each one only after the broker confirmed it. It polls for
 * documents flagged `outboxPending` (kept in step by VersionedCollection, see outbox-flag.ts), is
 * nudged after each write so events leave at once, and picks up whatever a crashed process left
 * behind when it starts. A crash between confirm and removal publishes the event again: delivery is at-least-once and consumers are
 * idempotent by event id.
 */
export interface OutboxDocument {
  _id: string;
  outbox?: CloudEvent[];
}

export interface DocumentOutboxOptions {
  /** The collection whose documents carry an `outbox` array. */
  collection: StringIdCollection;
  publisher: EventPublisher;
  logger: Logger;
  /**
   * Removes a published event from its document through the store's own lost-update-free update
   * (VersionedCollection, which also keeps `outboxPending` in step); answers false when there was
   * nothing to remove (another relay did, or the stored document lags its history).
   */
  remove: (docId: string, eventId: string) => Promise<boolean>;
  /** How often to look for pending events when not nudged. */
  pollIntervalMs?: number;
  /** Documents taken per pass. */
  batchSize?: number;
  /** How long one publish waits for the broker before the relay backs off and tries later. */
  publishTimeoutMs?: number;
}

export { OUTBOX_INDEX } from './outbox-flag';

export class DocumentOutboxRelay {
  private readonly loop: PollingLoop;

  constructor(private readonly options: DocumentOutboxOptions) {
    // A pass that published something may have left more behind: go again at once.
    this.loop = new PollingLoop(async () => (await this.drainOnce()) > 0, {
      intervalMs: options.pollIntervalMs ?? 1_000,
      logger: options.logger,
      failureMessage: 'outbox relay pass failed; retrying later',
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Something was just written: look now instead of at the next poll. */
  nudge(): void {
    this.loop.wake();
  }

  /** Stops after the event in hand is settled; pending events stay in their documents. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * One pass: publishes what is pending now; answers how many events were published *and removed*.
   * An event that could not be removed does not count, so the relay waits for its next poll rather
   * than republishing it in a tight loop.
   */
  async drainOnce(): Promise<number> {
    const { collection, publisher, logger } = this.options;
    const batchSize = this.options.batchSize ?? 50;
    const docs = (await collection
      .find({ [OUTBOX_PENDING]: true }, { projection: { outbox: 1 } })
      .limit(batchSize)
      .toArray()) as unknown as OutboxDocument[];
    let published = 0;
    for (const doc of docs) {
      // In order, one at a time: a document's events reach the broker in the order they happened.
      for (const event of doc.outbox ?? []) {
        if (!this.loop.isRunning) return published;
        try {
          await publisher.publish(event, this.options.publishTimeoutMs ?? 5_000);
        } catch (error) {
          if (!(error instanceof EventContractError)) throw error;
          // An event its contract refuses (e.g. one stored before the contract changed) waits, loudly,
          // for a person; it must not hold back every other document's events. Its own document's
          // later events wait behind it, to keep their order.
          logger.error({ err: error, eventId: event.id, type: event.type, docId: doc._id }, 'outbox event breaks its contract; it stays in its document');
          break;
        }
        if (await this.options.remove(doc._id, event.id)) published += 1;
        logger.debug({ eventId: event.id, type: event.type, docId: doc._id }, 'outbox event published');
      }
    }
    return published;
  }
}
