import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { createLogger } from '@oip/platform';
import { freePort } from '@oip/testkit';
import { MAX_CONNECTIONS, Mailer } from '../src/mail/mailer';

const logger = createLogger('mailer-test', 'silent');

/** A send's outcome: its error, 'sent', or 'still waiting' when it has not settled after `boundMs`. */
async function settle(send: Promise<unknown>, boundMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const waiting = new Promise((resolve) => {
    timer = setTimeout(resolve, boundMs, 'still waiting');
  });
  try {
    return await Promise.race([send.then(() => 'sent', (error: unknown) => error), waiting]);
  } finally {
    clearTimeout(timer);
  }
}

describe('Mailer (SMTP pool)', () => {
  it('When the SMTP server refuses every connection, then every send fails with the reason — more sends than the pool has connections, none left hanging', async () => {
    // Nothing listens on a free port: each connect is refused at once. A connection that failed
    // must leave the pool, or after MAX_CONNECTIONS of them every later send waits for ever.
    const mailer = new Mailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: await freePort(), SMTP_FROM: 'shop@example.com' }, logger);
    try {
      for (let attempt = 1; attempt <= 2 * MAX_CONNECTIONS + 1; attempt += 1) {
        const email = { to: 'ann@example.com', subject: `attempt ${attempt}`, text: 'hello', html: '<p>hello</p>', messageId: `<attempt-${attempt}@test>` };
        // The bound only turns a hang into a failure: a refused connect answers in milliseconds.
        const outcome = await settle(mailer.send(email), 10_000);
        assert.ok(outcome instanceof Error, `send ${attempt} of ${2 * MAX_CONNECTIONS + 1}: ${String(outcome)}`);
        assert.match(outcome.message, /ECONNREFUSED/);
      }
    } finally {
      mailer.close();
    }
  });

  it('When the server accepts connections and closes them before its greeting, then every send fails instead of waiting for ever', async () => {
    // What a proxy or load balancer without a backend does.
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const mailer = new Mailer({ SMTP_HOST: '127.0.0.1', SMTP_PORT: (server.address() as net.AddressInfo).port, SMTP_FROM: 'shop@example.com' }, logger);
    try {
      for (let attempt = 1; attempt <= MAX_CONNECTIONS + 1; attempt += 1) {
        const email = { to: 'ann@example.com', subject: `attempt ${attempt}`, text: 'hello', html: '<p>hello</p>', messageId: `<closed-${attempt}@test>` };
        const outcome = await settle(mailer.send(email), 10_000);
        assert.ok(outcome instanceof Error, `send ${attempt} of ${MAX_CONNECTIONS + 1}: ${String(outcome)}`);
      }
    } finally {
      mailer.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
