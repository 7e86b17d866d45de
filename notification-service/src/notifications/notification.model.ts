import { Schema, Types, type Connection, type Model } from 'mongoose';

/**
 * `pending`: stored, not (yet) accepted by SMTP — new, or waiting for a retry.
 * `sending`: claimed by one delivery attempt until `leaseUntil`.
 * `sent`: the SMTP server accepted it. `failed`: every attempt failed; kept, visible, never dropped.
 */
export const notificationStatuses = ['pending', 'sending', 'sent', 'failed'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

/** A notification as stored: one per event and recipient. */
export interface NotificationRecord {
  _id: Types.ObjectId;
  type: string;
  eventId: string;
  orderId?: string;
  /** The owner (customer / user id); absent for operations notices, which only admins see. */
  customerId?: string;
  recipient: string;
  channel: 'email';
  subject: string;
  text: string;
  html: string;
  status: NotificationStatus;
  attempts: number;
  lastError?: string;
  leaseUntil?: Date;
  messageId?: string;
  sentAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

const notificationSchema = new Schema<NotificationRecord>(
  {
    type: { type: String, required: true },
    eventId: { type: String, required: true },
    orderId: { type: String },
    customerId: { type: String },
    recipient: { type: String, required: true },
    channel: { type: String, required: true, enum: ['email'] },
    subject: { type: String, required: true },
    text: { type: String, required: true },
    html: { type: String, required: true },
    status: { type: String, required: true, enum: notificationStatuses },
    attempts: { type: Number, required: true, default: 0 },
    lastError: { type: String },
    leaseUntil: { type: Date },
    messageId: { type: String },
    sentAt: { type: Date },
  },
  {
    collection: 'notifications',
    versionKey: false,
    timestamps: true,
    toJSON: {
      // What a client sees: `id`, no bodies (the detail view adds the text), nothing internal.
      transform: (_doc, ret: Record<string, unknown>) => {
        const view: Record<string, unknown> = { id: String(ret['_id']), ...ret };
        for (const field of ['_id', '__v', 'html', 'text', 'leaseUntil', 'messageId', 'updatedAt']) delete view[field];
        return view;
      },
    },
  },
);
// The guarantee "one notification per event and recipient": a redelivered event's insert collides.
notificationSchema.index({ eventId: 1, recipient: 1 }, { unique: true });
notificationSchema.index({ customerId: 1, createdAt: -1 });
notificationSchema.index({ createdAt: -1 });
notificationSchema.index({ status: 1, createdAt: -1 });

/**
 * One row per delivery attempt, `_id` = `<notificationId>:<attempt>`. Inserting the next attempt's
 * row is how an attempt is claimed: an insert against a unique key is atomic on MongoDB and on
 * FerretDB 1.x alike, whereas a conditional update (findOneAndUpdate pending → sending) is not
 * atomic on FerretDB (see VersionedCollection in @oip/platform/mongo), so two deliveries could both
 * "win" it and send twice.
 */
export interface SendAttemptRecord {
  _id: string;
  notificationId: string;
  attempt: number;
  claimedAt: Date;
  leaseUntil: Date;
  outcome?: 'sent' | 'failed';
  finishedAt?: Date;
  error?: string;
}

const sendAttemptSchema = new Schema<SendAttemptRecord>(
  {
    _id: { type: String, required: true },
    notificationId: { type: String, required: true },
    attempt: { type: Number, required: true },
    claimedAt: { type: Date, required: true },
    leaseUntil: { type: Date, required: true },
    outcome: { type: String, enum: ['sent', 'failed'] },
    finishedAt: { type: Date },
    error: { type: String },
  },
  { collection: 'notification_send_attempts', versionKey: false },
);
sendAttemptSchema.index({ notificationId: 1, attempt: -1 });

export interface NotificationModels {
  notifications: Model<NotificationRecord>;
  attempts: Model<SendAttemptRecord>;
}

export async function notificationModels(connection: Connection): Promise<NotificationModels> {
  const notifications = connection.model<NotificationRecord>('Notification', notificationSchema);
  const attempts = connection.model<SendAttemptRecord>('NotificationSendAttempt', sendAttemptSchema);
  // Indexes before the first event: the unique index is what refuses a second notification.
  await Promise.all([notifications.init(), attempts.init()]);
  return { notifications, attempts };
}
