import type { Logger } from 'pino';
import type { NotificationRecord } from './notification.model';

/** An e-mail the SMTP server accepted, as the store must record it. */
export interface AcceptedSend {
  notification: NotificationRecord;
  attempt: number;
  sentAt: Date;
  messageId: string | undefined;
}

export interface AcceptedSendsOptions {
  /** Writes the accept into the store (idempotent: a repeat is harmless). */
  record: (send: AcceptedSend) => Promise<void>;
  logger: Logger;
  /** First and longest pause between attempts to record what the store refused. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/**
 * The process's own memory of e-mails SMTP accepted whose `sent` the store has not taken yet.
 *
 * Once SMTP has accepted a message, sending it again is the one mistake we can always avoid while
 * the process lives: the store being down (PostgreSQL under FerretDB restarting, say) must delay
 * the record, never cause a second send. So the accept is kept here first, retried into the store
 * until it succeeds, and consulted before any send. Only a crash loses it — that is the documented
 * at-least-once window (docs/architecture.md, delivery guarantees).
 */
export class AcceptedSends {
  private readonly unrecorded = new Map<string, AcceptedSend>();
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private retryMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: AcceptedSendsOptions) {
    this.retryMinMs = options.retryMinMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 5_000;
    this.retryMs = this.retryMinMs;
  }

  /** How many accepts wait for the store. */
  get size(): number {
    return this.unrecorded.size;
  }

  /** True when SMTP accepted this notification and the store has not recorded it yet: do not send. */
  holds(notificationId: string): boolean {
    return this.unrecorded.has(notificationId);
  }

  /**
   * Remembers the accept, then records it. Answers whether the store has it now; when it does not,
   * the accept stays held and is retried in the background.
   */
  async accepted(send: AcceptedSend): Promise<boolean> {
    this.unrecorded.set(String(send.notification._id), send);
    return this.recordNow(String(send.notification._id));
  }

  /** Tries to record a held accept at once (a redelivery found it); answers whether it is stored. */
  async recordNow(notificationId: string): Promise<boolean> {
    const send = this.unrecorded.get(notificationId);
    if (!send) return true;
    try {
      await this.options.record(send);
    } catch (error) {
      this.options.logger.warn({ err: error, notificationId, held: this.unrecorded.size }, 'SMTP accepted the notification but the store refused its record; kept in memory and retried');
      this.schedule();
      return false;
    }
    // A newer accept of the same notification cannot exist (it is never sent while held).
    this.unrecorded.delete(notificationId);
    return true;
  }

  /** One last attempt at shutdown; whatever stays unrecorded is named, as it may be sent again after a restart. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.unrecorded.size > 0) {
      this.options.logger.error({ notificationIds: [...this.unrecorded.keys()] }, 'stopping with SMTP-accepted notifications the store has not recorded; they may be e-mailed again after the restart');
    }
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().then(() => {
        if (this.unrecorded.size === 0) {
          this.retryMs = this.retryMinMs;
          return;
        }
        this.retryMs = Math.min(this.retryMs * 2, this.retryMaxMs);
        this.schedule();
      });
    }, this.retryMs);
    // The retry loop alone must not keep a stopping process alive; close() makes the last attempt.
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    if (this.unrecorded.size === 0) return;
    for (const [notificationId, send] of [...this.unrecorded]) {
      try {
        await this.options.record(send);
        this.unrecorded.delete(notificationId);
      } catch {
        // The store is still away; the next round tries again.
        return;
      }
    }
    if (this.unrecorded.size === 0) this.options.logger.info('every SMTP-accepted notification is recorded again');
  }
}
