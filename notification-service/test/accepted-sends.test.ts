import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@oip/platform';
import { waitFor } from '@oip/testkit';
import { Types } from 'mongoose';
import { AcceptedSends, type AcceptedSend } from '../src/notifications/accepted-sends';
import type { NotificationRecord } from '../src/notifications/notification.model';

const logger = createLogger('accepted-sends-test', 'silent');

function accept(): AcceptedSend {
  return { notification: { _id: new Types.ObjectId() } as NotificationRecord, attempt: 1, sentAt: new Date(), messageId: undefined };
}

/** A store that refuses writes until it is opened, and counts what it took. */
function store(): { open: boolean; recorded: string[]; record: (send: AcceptedSend) => Promise<void> } {
  const state = {
    open: false,
    recorded: [] as string[],
    record: async (send: AcceptedSend) => {
      if (!state.open) throw new Error('store down');
      state.recorded.push(String(send.notification._id));
    },
  };
  return state;
}

describe('AcceptedSends (in-process record of SMTP accepts)', () => {
  it('When the store takes the record at once, then nothing is held', async () => {
    const db = store();
    db.open = true;
    const sends = new AcceptedSends({ record: db.record, logger });
    const send = accept();

    const recorded = await sends.accepted(send);

    assert.equal(recorded, true);
    assert.equal(sends.holds(String(send.notification._id)), false);
    assert.deepEqual(db.recorded, [String(send.notification._id)]);
  });

  it('When the store is down, then the accept is held (so no delivery sends it again) and recorded once the store is back', async () => {
    const db = store();
    const sends = new AcceptedSends({ record: db.record, logger, retryMinMs: 10, retryMaxMs: 40 });
    const send = accept();
    const id = String(send.notification._id);

    const recorded = await sends.accepted(send);
    const heldWhileDown = sends.holds(id);
    db.open = true;
    await waitFor(() => (sends.holds(id) ? undefined : true), 5_000, 5);

    assert.equal(recorded, false);
    assert.equal(heldWhileDown, true);
    assert.deepEqual(db.recorded, [id]);
    await sends.close();
  });

  it('When a redelivery asks while the store is still down, then the accept stays held; once it is up, recordNow stores it', async () => {
    const db = store();
    const sends = new AcceptedSends({ record: db.record, logger, retryMinMs: 60_000 });
    const send = accept();
    const id = String(send.notification._id);
    await sends.accepted(send);

    const whileDown = await sends.recordNow(id);
    db.open = true;
    const whenUp = await sends.recordNow(id);

    assert.equal(whileDown, false);
    assert.equal(whenUp, true);
    assert.equal(sends.holds(id), false);
    await sends.close();
  });
});
