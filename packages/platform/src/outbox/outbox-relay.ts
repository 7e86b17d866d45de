import type { CloudEvent } from '@oip/contracts';
import type { Logger } from 'pino';
import type { DataSource, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { env } from '../config';
import type { EventPublisher } from '../messaging/publisher';
import type { Metrics } from '../metrics';
import { PollingLoop } from '../polling-loop';
import { ENQUEUED_IN_TRANSACTION } from './enqueue';
import { OUTBOX_TABLE } from './outbox.entity';

/** The relay's knobs, for a service's config schema (and .env.example, compose). */
export const outboxConfigShape = {
  /** How often the relay looks for unsent events when nothing woke it (other instances' commits, retries). */
  OUTBOX_POLL_INTERVAL_MS: env.int(1000, 10),
};

export interface OutboxRelayOptions {
  pollIntervalMs: number;
  /** Rows claimed per transaction. */
  batchSize?: number;
  /** How long one publish may wait for the broker's confirm before the row is left for the next round. */
  publishTimeoutMs?: number;
}

/** The running relay of each DataSource, for wakeOutboxRelay. */
const relays = new WeakMap<DataSource, OutboxRelay>();

/**
 * Asks the DataSource's relay (if one runs in this process) for a round now: for rows written
 * outside a TypeORM transaction (see outboxRow), whose commit no subscriber sees.
 */
export function wakeOutboxRelay(dataSource: DataSource): void {
  relays.get(dataSource)?.wake();
}

interface OutboxRow {
  id: string;
  payload: CloudEvent;
}

/**
 * Publishes what the outbox holds, in order of creation, and marks each row sent only after the
 * broker confirmed it. Rows are claimed with `FOR UPDATE SKIP LOCKED` inside a transaction that
 * lasts until their confirms are in, so two instances never publish the same row at once; a crash
 * before the commit leaves the rows unsent, and the next relay publishes them again (at least once:
 * consumers deduplicate by event id). Woken right after a local commit that enqueued events, and
 * polls otherwise. Lag is exported as `outbox_pending_events` and `outbox_oldest_pending_age_seconds`.
 */
export class OutboxRelay {
  private readonly loop: PollingLoop;
  private readonly batchSize: number;
  private readonly publishTimeoutMs: number;
  private readonly subscriber: EntitySubscriberInterface;
  private lagRecordedAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.loop = new PollingLoop(
      async () => {
        await this.drain();
        // Once per poll interval, not once per wake: under load every commit wakes the relay, and
        // the gauges are read by a scrape every few seconds.
        if (Date.now() - this.lagRecordedAt >= options.pollIntervalMs) await this.recordLag();
        return false;
      },
      // The database is away, most likely; readiness reports that.
      { intervalMs: options.pollIntervalMs, logger, failureMessage: 'outbox relay round failed' },
    );
    this.subscriber = {
      afterTransactionCommit: (event: TransactionCommitEvent) => {
        const data = event.queryRunner.data as Record<string, unknown> | undefined;
        // A released savepoint is not a commit: wait for the outermost transaction.
        if (data?.[ENQUEUED_IN_TRANSACTION] && !event.queryRunner.isTransactionActive) {
          data[ENQUEUED_IN_TRANSACTION] = false;
          this.wake();
        }
      },
      afterTransactionRollback: (event: TransactionRollbackEvent) => {
        const data = event.queryRunner.data as Record<string, unknown> | undefined;
        if (data && !event.queryRunner.isTransactionActive) data[ENQUEUED_IN_TRANSACTION] = false;
      },
    };
  }

  start(): void {
    if (this.loop.isRunning) return;
    this.dataSource.subscribers.push(this.subscriber);
    relays.set(this.dataSource, this);
    this.loop.start();
    this.logger.info({ pollIntervalMs: this.options.pollIntervalMs }, 'outbox relay started');
  }

  /** Stops polling and waits for the round in progress (its confirms, its commit). */
  async stop(): Promise<void> {
    if (!this.loop.isRunning) return;
    const subscribers = this.dataSource.subscribers;
    const index = subscribers.indexOf(this.subscriber);
    if (index >= 0) subscribers.splice(index, 1);
    if (relays.get(this.dataSource) === this) relays.delete(this.dataSource);
    await this.loop.stop();
    this.logger.info('outbox relay stopped');
  }

  /** Asks for a round now rather than at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  /** Publishes everything unsent now; resolves with how many events were confirmed. */
  async drain(): Promise<number> {
    let published = 0;
    for (;;) {
      const round = await this.publishBatch();
      published += round.published;
      if (round.claimed < this.batchSize || round.failed > 0 || !this.loop.isRunning) return published;
    }
  }

  private publishBatch(): Promise<{ claimed: number; published: number; failed: number }> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<OutboxRow[]>(
        `SELECT id, payload FROM ${OUTBOX_TABLE} WHERE sent_at IS NULL ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batchSize],
      );
      if (rows.length === 0) return { claimed: 0, published: 0, failed: 0 };
      // Published in order on one confirm channel; the confirms are awaited together.
      const results = await Promise.allSettled(rows.map((row) => this.publisher.publish(row.payload, this.publishTimeoutMs)));
      const sent = rows.filter((_, index) => results[index]?.status === 'fulfilled').map((row) => row.id);
      if (sent.length > 0) {
        await manager.query(`UPDATE ${OUTBOX_TABLE} SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])`, [sent]);
      }
      let failed = 0;
      for (const [index, result] of results.entries()) {
        if (result.status === 'fulfilled') continue;
        failed += 1;
        const row = rows[index] as OutboxRow;
        const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
        this.logger.warn({ eventId: row.id, type: row.payload.type, reason }, 'outbox event not published, will retry');
        await manager.query(`UPDATE ${OUTBOX_TABLE} SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [row.id, reason.slice(0, 1000)]);
      }
      if (sent.length > 0) this.logger.debug({ count: sent.length }, 'outbox events published');
      return { claimed: rows.length, published: sent.length, failed };
    });
  }

  private async recordLag(): Promise<void> {
    if (!this.metrics) return;
    this.lagRecordedAt = Date.now();
    const [row] = await this.dataSource.query<Array<{ pending: number; age: number }>>(
      `SELECT count(*)::int AS pending, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS age FROM ${OUTBOX_TABLE} WHERE sent_at IS NULL`,
    );
    this.metrics.gauge('outbox_pending_events', 'Events in the outbox not yet confirmed by the broker').set(row?.pending ?? 0);
    this.metrics.gauge('outbox_oldest_pending_age_seconds', 'Age of the oldest event in the outbox not yet confirmed by the broker').set(row?.age ?? 0);
  }
}
