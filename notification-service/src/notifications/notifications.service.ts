import { isAdmin, type AuthenticatedUser } from '@oip/platform';
import type { Logger } from 'pino';
import { MAX_SEND_MS, PermanentMailError, type Mailer } from '../mail/mailer';
import type { AcceptedSends } from './accepted-sends';
import type { NotificationRecord } from './notification.model';
import { MailDeliveryError, NotificationBusyError, notificationErrors } from './notifications.errors';
import type { NotificationRepository, SendClaim } from './notifications.repository';
import type { ListNotificationsInput } from './notifications.schemas';
import { planNotifications, type NotifiableEvent } from './templates';

export interface NotificationServiceOptions {
  /** Recipient of stock_low notices. */
  opsEmail: string;
  /**
   * SMTP attempts per notification before it is marked `failed`. main.ts sets it to the consumer's
   * deliveries (RABBITMQ_MAX_RETRIES + 1), so the last delivery of an event records `failed` and is
   * acked instead of the event being dead-lettered with the notification stuck in `pending`.
   */
  maxSendAttempts: number;
}

/** Longer than the slowest possible SMTP exchange, so a live holder never loses its lease. */
const SEND_LEASE_MS = MAX_SEND_MS + 10_000;

/**
 * One use case per entry point: the event consumer stores and sends, the HTTP router reads.
 *
 * How an SMTP failure is retried: the handler throws, and the platform consumer redelivers the
 * event through its delay queues with exponential backoff (RABBITMQ_RETRY_BASE_MS, doubling). We
 * chose that over an in-service retry loop because the backoff then survives a restart (it lives
 * in durable queues), an outage does not pin prefetch slots and memory while we sleep, and there is
 * one retry policy for the whole platform. The stored notification stays `pending` (its attempt is
 * released) between deliveries, and the redelivered event finds it by (eventId, recipient), so it is
 * neither stored nor sent twice.
 */
export class NotificationService {
  constructor(
    private readonly repository: NotificationRepository,
    private readonly mailer: Mailer,
    private readonly acceptedSends: AcceptedSends,
    private readonly options: NotificationServiceOptions,
    private readonly logger: Logger,
  ) {}

  /** Stores one notification per recipient of the event (once, whatever the redeliveries) and e-mails it. */
  async handleEvent(event: NotifiableEvent): Promise<void> {
    const plans = planNotifications(event, { opsEmail: this.options.opsEmail });
    let retry: Error | undefined;
    for (const plan of plans) {
      try {
        // A free SMTP connection first, then the claim: a claimed send never waits in the mailer's
        // queue, so it always starts well inside its lease.
        await this.mailer.withConnection(async () => {
          const { record, created } = await this.repository.insertOrGet(plan, new Date(), SEND_LEASE_MS);
          if (!created) this.logger.info({ notificationId: String(record._id), status: record.status }, 'notification already stored for this event and recipient');
          await this.deliver(record, created ? { kind: 'claimed', attempt: 1 } : undefined);
        });
      } catch (error) {
        // The other recipients still get theirs now; the event comes back for this one.
        if (!(error instanceof MailDeliveryError || error instanceof NotificationBusyError)) throw error;
        retry ??= error;
      }
    }
    if (retry) throw retry;
  }

  async list(query: ListNotificationsInput, caller: AuthenticatedUser): Promise<{ items: Record<string, unknown>[]; page: number; limit: number; total: number }> {
    const admin = isAdmin(caller);
    if (!admin && query.customerId !== undefined && query.customerId !== caller.id) throw notificationErrors.customerFilterForbidden();
    const { items, total } = await this.repository.list({
      customerId: admin ? query.customerId : caller.id,
      type: query.type,
      status: query.status,
      skip: (query.page - 1) * query.limit,
      limit: query.limit,
    });
    return { items: items.map((record) => this.view(record, admin)), page: query.page, limit: query.limit, total };
  }

  async get(id: string, caller: AuthenticatedUser): Promise<Record<string, unknown>> {
    const record = await this.repository.findById(id);
    if (!record) throw notificationErrors.notFound(id);
    const admin = isAdmin(caller);
    if (!admin && record.customerId !== caller.id) throw notificationErrors.notYours(id);
    return { ...this.view(record, admin), text: record.text };
  }

  /**
   * Sends a stored notification unless it was sent (or given up) already. Only the caller that
   * claimed the next attempt sends; a failure releases the attempt (pending) and throws so the event
   * is retried, and the last allowed attempt marks it `failed` instead — kept and visible, not dropped.
   */
  private async deliver(record: NotificationRecord, held?: SendClaim): Promise<void> {
    const notificationId = String(record._id);
    // SMTP took it already and only the store's record is missing: record it, never send again.
    if (this.acceptedSends.holds(notificationId)) {
      if (await this.acceptedSends.recordNow(notificationId)) return;
      throw new NotificationBusyError(`notification ${notificationId} was e-mailed; its record waits for the store`);
    }
    const claim = held ?? (await this.repository.claimSend(record, new Date(), SEND_LEASE_MS));
    switch (claim.kind) {
      case 'finished':
        this.logger.info({ notificationId, status: claim.status }, 'notification already handled, not sending again');
        return;
      case 'busy':
        throw new NotificationBusyError(`notification ${notificationId} is being sent by another delivery`);
      case 'claimed':
        break;
    }
    const { attempt } = claim;
    let messageId: string | undefined;
    try {
      ({ messageId } = await this.mailer.send({
        to: record.recipient,
        subject: record.subject,
        text: record.text,
        html: record.html,
        messageId: `<${notificationId}@notifications.order-inventory.local>`,
      }));
    } catch (error) {
      const reason = describe(error);
      const final = error instanceof PermanentMailError || attempt >= this.options.maxSendAttempts;
      await this.repository.markAttemptFailed(record, attempt, reason, final, new Date());
      if (final) {
        this.logger.error({ notificationId, type: record.type, attempt, reason }, 'notification failed for good; it stays visible as failed');
        return;
      }
      this.logger.warn({ notificationId, type: record.type, attempt, reason }, 'sending the notification failed; the event will be retried');
      throw new MailDeliveryError(`sending notification ${notificationId} failed (attempt ${attempt}): ${reason}`, { cause: error });
    }
    // Held in memory before the store is asked: should the write fail, the accept is retried into
    // the store and no later delivery sends it again. Only a crash before the write lands leaves
    // the attempt open until its lease ends, and then it goes again with the same Message-ID.
    const recorded = await this.acceptedSends.accepted({ notification: record, attempt, sentAt: new Date(), messageId });
    this.logger.info({ notificationId, type: record.type, attempt, recorded }, 'notification sent');
    // The event comes back (without spending a retry) until the store has the record.
    if (!recorded) throw new NotificationBusyError(`notification ${notificationId} was e-mailed; its record waits for the store`);
  }

  private view(record: NotificationRecord, admin: boolean): Record<string, unknown> {
    const view = this.repository.toView(record);
    if (!admin) delete view['lastError'];
    return view;
  }
}

/** A short reason for the record: the SMTP code or socket error, never a stack. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 300);
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message).slice(0, 300);
}
