import { GroupCommit } from '@oip/platform';
import { isDuplicateKey } from '@oip/platform/mongo';
import { isValidObjectId, Types } from 'mongoose';
import type { NotificationPlan } from './templates';
import type { NotificationModels, NotificationRecord, NotificationStatus, SendAttemptRecord } from './notification.model';

export interface NotificationListFilter {
  customerId?: string;
  type?: string;
  status?: NotificationStatus;
  skip: number;
  limit: number;
}

/** The answer to "may I send this notification now?". */
export type SendClaim =
  /** This caller holds attempt `attempt` until the lease ends and must finish it (sent or failed). */
  | { kind: 'claimed'; attempt: number }
  /** Nothing to do: already sent or given up. */
  | { kind: 'finished'; status: 'sent' | 'failed' }
  /** Another delivery holds a live lease (or just claimed the same attempt): try again later. */
  | { kind: 'busy' };

/**
 * The only place that touches mongoose for notifications. Creation is an insert against the unique
 * (eventId, recipient) index; sending is claimed by inserting an attempt row with a unique id.
 * Both are atomic on MongoDB and FerretDB, so neither a redelivered event nor two concurrent
 * deliveries can create a second notification or send a second e-mail.
 */
export class NotificationRepository {
  // Notifications stored, and sends recorded, while another such write is under way go together
  // in the next one: one round trip for many notifications when events arrive faster than a write.
  private readonly inserts = new GroupCommit<NotificationRecord, boolean>((records) => this.insertMany(records));
  private readonly sentUpdates = new GroupCommit<{ id: Types.ObjectId; fields: Partial<NotificationRecord> }>((updates) => this.markManySent(updates));

  constructor(private readonly models: NotificationModels) {}

  /**
   * Stores the notification, or answers the one a previous delivery of the same event stored.
   * A delivery that stores it also holds its first send attempt (`sending`, attempt 1, leased):
   * the unique insert is that attempt's claim, so the common case needs no attempt row at all.
   */
  async insertOrGet(plan: NotificationPlan, now: Date, leaseMs: number): Promise<{ record: NotificationRecord; created: boolean }> {
    // Straight to the driver: the plan is typed and rendered by us, so a mongoose document (casting,
    // validation, hydration, then toObject) would only cost CPU on every notification.
    const record: NotificationRecord = { _id: new Types.ObjectId(), ...plan, status: 'sending', attempts: 1, leaseUntil: new Date(now.getTime() + leaseMs), createdAt: now, updatedAt: now };
    if (await this.inserts.add(record)) return { record, created: true };
    const existing = await this.models.notifications.findOne({ eventId: plan.eventId, recipient: plan.recipient }).lean<NotificationRecord>();
    if (!existing) throw new Error(`notification for event ${plan.eventId} and ${plan.recipient} collided with one that is gone`);
    return { record: existing, created: false };
  }

  /** One insert for the batch; answers per record whether it was stored (false: a duplicate of a stored one). */
  private async insertMany(records: NotificationRecord[]): Promise<boolean[]> {
    try {
      await this.models.notifications.collection.insertMany(records, { ordered: false });
      return records.map(() => true);
    } catch (error) {
      const writeErrors = (error as { writeErrors?: Array<{ index: number; code?: unknown }> }).writeErrors;
      if (!isDuplicateKey(error) || !writeErrors || writeErrors.length === 0 || !writeErrors.every(isDuplicateKey)) throw error;
      const duplicates = new Set(writeErrors.map((writeError) => writeError.index));
      return records.map((_record, index) => !duplicates.has(index));
    }
  }

  /** A malformed id is simply not found. */
  async findById(id: string): Promise<NotificationRecord | null> {
    if (!isValidObjectId(id) || !/^[0-9a-f]{24}$/i.test(id)) return null;
    return this.models.notifications.findById(new Types.ObjectId(id)).lean<NotificationRecord>();
  }

  async list(filter: NotificationListFilter): Promise<{ items: NotificationRecord[]; total: number }> {
    const query: Record<string, unknown> = {};
    if (filter.customerId !== undefined) query['customerId'] = filter.customerId;
    if (filter.type !== undefined) query['type'] = filter.type;
    if (filter.status !== undefined) query['status'] = filter.status;
    const [items, total] = await Promise.all([
      this.models.notifications.find(query).sort({ createdAt: -1, _id: -1 }).skip(filter.skip).limit(filter.limit).lean<NotificationRecord[]>(),
      this.models.notifications.countDocuments(query),
    ]);
    return { items, total };
  }

  /**
   * Claims the next delivery attempt of a notification. The newest attempt row decides: sent →
   * finished; open with a live lease → busy; otherwise (none yet, failed, or a crashed holder's
   * expired lease) the next attempt number is claimed by inserting its row — exactly one caller
   * can insert it. Only the holder then writes the notification's status, so those writes need no
   * compare-and-set.
   */
  async claimSend(notification: NotificationRecord, now: Date, leaseMs: number): Promise<SendClaim> {
    if (notification.status === 'sent' || notification.status === 'failed') return { kind: 'finished', status: notification.status };
    // The storing delivery's first attempt has no row; its lease is on the notification.
    if (notification.status === 'sending' && notification.leaseUntil && notification.leaseUntil > now) return { kind: 'busy' };
    const notificationId = String(notification._id);
    const latest = await this.models.attempts.findOne({ notificationId }).sort({ attempt: -1 }).lean<SendAttemptRecord>();
    if (latest?.outcome === 'sent') {
      // The holder crashed between recording the SMTP accept and updating the notification: repair.
      await this.setStatus(notification._id, { status: 'sent', sentAt: latest.finishedAt ?? now, attempts: latest.attempt });
      return { kind: 'finished', status: 'sent' };
    }
    if (latest && latest.outcome === undefined && latest.leaseUntil > now) return { kind: 'busy' };
    // The record's count includes an implicit first attempt whose holder crashed without a row.
    const attempt = Math.max(latest?.attempt ?? 0, notification.attempts) + 1;
    const leaseUntil = new Date(now.getTime() + leaseMs);
    try {
      await this.models.attempts.create({ _id: `${notificationId}:${attempt}`, notificationId, attempt, claimedAt: now, leaseUntil });
    } catch (error) {
      if (isDuplicateKey(error)) return { kind: 'busy' };
      throw error;
    }
    await this.setStatus(notification._id, { status: 'sending', attempts: attempt, leaseUntil });
    return { kind: 'claimed', attempt };
  }

  /**
   * The SMTP server accepted the message. A claimed attempt's row first: it is what a later claim
   * reads. The implicit first attempt has no row; should the status write fail, its lease runs out
   * and the message goes again (at-least-once, with the same Message-ID).
   */
  async markSent(notification: NotificationRecord, attempt: number, sentAt: Date, messageId: string | undefined): Promise<void> {
    if (attempt > 1) await this.finishAttempt(notification, attempt, { outcome: 'sent', finishedAt: sentAt });
    await this.sentUpdates.add({ id: notification._id, fields: { status: 'sent', sentAt, attempts: attempt, ...(messageId ? { messageId } : {}) } });
  }

  private async markManySent(updates: Array<{ id: Types.ObjectId; fields: Partial<NotificationRecord> }>): Promise<void[]> {
    const updatedAt = new Date();
    await this.models.notifications.collection.bulkWrite(
      updates.map(({ id, fields }) => ({ updateOne: { filter: { _id: id }, update: { $set: { ...fields, updatedAt }, $unset: { leaseUntil: 1, lastError: 1 } } } })),
      { ordered: false },
    );
    return updates.map(() => undefined);
  }

  /** The attempt failed: back to pending for a retry (the claim is released), or failed for good. */
  async markAttemptFailed(notification: NotificationRecord, attempt: number, error: string, final: boolean, at: Date): Promise<void> {
    await this.finishAttempt(notification, attempt, { outcome: 'failed', finishedAt: at, error });
    await this.setStatus(notification._id, { status: final ? 'failed' : 'pending', attempts: attempt, lastError: error }, ['leaseUntil']);
  }

  /** The client's view of a record (through the model's toJSON transform). */
  toView(record: NotificationRecord): Record<string, unknown> {
    return this.models.notifications.hydrate(record).toJSON();
  }

  /** Records how an attempt ended; the implicit first attempt gets its row here (only its holder writes it). */
  private async finishAttempt(notification: NotificationRecord, attempt: number, outcome: Pick<SendAttemptRecord, 'outcome' | 'finishedAt' | 'error'>): Promise<void> {
    const notificationId = String(notification._id);
    const claimedAt = notification.updatedAt ?? notification.createdAt;
    await this.models.attempts.updateOne(
      { _id: `${notificationId}:${attempt}` },
      { $set: outcome, $setOnInsert: { notificationId, attempt, claimedAt, leaseUntil: notification.leaseUntil ?? claimedAt } },
      { upsert: true },
    );
  }

  private async setStatus(id: Types.ObjectId, fields: Partial<NotificationRecord>, unset: Array<keyof NotificationRecord> = []): Promise<void> {
    const update: Record<string, unknown> = { $set: { ...fields, updatedAt: new Date() } };
    if (unset.length > 0) update['$unset'] = Object.fromEntries(unset.map((field) => [field, 1]));
    await this.models.notifications.collection.updateOne({ _id: id }, update);
  }
}
