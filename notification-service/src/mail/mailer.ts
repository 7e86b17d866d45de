import net from 'node:net';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { clientSpan, Semaphore } from '@oip/platform';
import type { Logger } from 'pino';

export interface MailerConfig {
  SMTP_HOST: string;
  SMTP_PORT: number;
  SMTP_FROM: string;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * A stable Message-ID (derived from the notification), so that the rare second send after a
   * crash between the SMTP accept and our record of it carries the same id and can be recognised.
   */
  messageId: string;
}

/** SMTP said no for good (5xx, or every recipient refused): retrying the same message will not help. */
export class PermanentMailError extends Error {
  readonly code = 'MAIL.REJECTED';
}

/** How long a send may take at most; a notification's send lease must be longer than this. */
export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as const;
export const MAX_SEND_MS = SMTP_TIMEOUTS.connectionTimeout + SMTP_TIMEOUTS.greetingTimeout + SMTP_TIMEOUTS.socketTimeout;

/** SMTP connections in the pool, and so the number of sends under way at once. */
export const MAX_CONNECTIONS = 5;

/**
 * The SMTP side: a pooled nodemailer transport built from config. It is not verified at boot —
 * the mail server being down must not stop the service from storing notifications; sends fail,
 * are retried, and readiness does not depend on SMTP.
 */
export class Mailer {
  private readonly transport: nodemailer.Transporter<SMTPPool.SentMessageInfo, SMTPPool.Options>;
  private readonly connections = new Semaphore(MAX_CONNECTIONS);

  constructor(
    private readonly config: MailerConfig,
    private readonly logger: Logger,
  ) {
    const options: SMTPPool.Options & { maxRequeues: number } = {
      pool: true,
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      secure: false,
      maxConnections: MAX_CONNECTIONS,
      // Keep each connection for good (nodemailer's default reconnects after 100 messages): a new
      // one costs the TCP setup, greeting and EHLO every time.
      maxMessages: Infinity,
      ...SMTP_TIMEOUTS,
      getSocket: connectWithoutNagle(config.SMTP_HOST, config.SMTP_PORT),
      // A message whose connection closes under it goes once more on another, then fails (and its
      // event is retried with backoff). nodemailer's default requeues it for ever: against a server
      // that accepts and closes before its greeting (a proxy without a backend) the send never
      // settled. (Not in @types/nodemailer.)
      maxRequeues: 1,
    };
    this.transport = nodemailer.createTransport(options);
    // A pooled connection that breaks while idle must not crash the process; the next send reconnects.
    this.transport.on('error', (error) => this.logger.warn({ err: error }, 'SMTP transport error'));
  }

  /**
   * Runs `work` once one of the pool's connections is free for it, so that sends started inside
   * it do not queue behind others (a send's lease is counted from its claim).
   */
  withConnection<R>(work: () => Promise<R>): Promise<R> {
    return this.connections.run(work);
  }

  /** Resolves once the SMTP server accepted the message; rejects otherwise. */
  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    // The message is built into one buffer first and handed over as `raw`: nodemailer then writes
    // it to the socket in one piece instead of streaming every MIME part in small chunks (each a
    // write syscall). The envelope is explicit because nodemailer does not parse a raw message.
    const raw = await new MailComposer({ from: this.config.SMTP_FROM, ...email }).compile().build();
    let info: SMTPPool.SentMessageInfo;
    try {
      info = await clientSpan('smtp send', { 'server.address': this.config.SMTP_HOST, 'server.port': this.config.SMTP_PORT }, () =>
        this.transport.sendMail({ envelope: { from: this.config.SMTP_FROM, to: [email.to] }, raw }),
      );
    } catch (error) {
      const responseCode = (error as { responseCode?: unknown }).responseCode;
      if (typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600) {
        throw new PermanentMailError(`SMTP refused the message (${responseCode})`, { cause: error });
      }
      throw error;
    }
    if (info.accepted.length === 0) throw new PermanentMailError(`SMTP accepted no recipient (refused ${info.rejected.length})`);
    return { messageId: email.messageId };
  }

  close(): void {
    this.transport.close();
  }
}

type SocketCallback = (error: Error | null, socketOptions?: { connection: net.Socket }) => void;

/**
 * Opens each pooled SMTP connection with Nagle's algorithm off (TCP_NODELAY), which nodemailer
 * leaves on. With it on, the message's last small write (the terminating ".") waited for the
 * server's delayed ACK of the body: about 40 ms per e-mail on Linux, which capped a pool of five
 * connections at ~100 e-mails/s however idle the CPU (measured against MailDev: 107 e-mails/s with
 * it on, 794–935 with it off).
 *
 * nodemailer's `getSocket` hook gets the socket at once, still connecting: nodemailer attaches its
 * handlers before any event can fire, and a refused or failed connect reaches it as the
 * connection's own error, which drops the connection from the pool. (Answering the hook with an
 * error instead leaves the half-made connection in the pool for good: after five refused connects
 * every later send hung.) STARTTLS and the socket's idle timeout are nodemailer's as usual; its
 * greeting timeout now starts while the socket is still connecting, so connect and greeting share
 * those 10 s. A connect that hangs is ours to cut, at the same 10 s, so that no socket is left
 * waiting for the kernel's own timeout (nodemailer reports it as ESOCKET, with our message).
 */
function connectWithoutNagle(host: string, port: number): (options: unknown, callback: SocketCallback) => void {
  return (_options, callback) => {
    const socket = net.connect({ host, port, noDelay: true, keepAlive: true });
    const hung = setTimeout(() => {
      if (socket.connecting) socket.destroy(new Error(`SMTP connection to ${host}:${port} timed out`));
    }, SMTP_TIMEOUTS.connectionTimeout);
    hung.unref();
    socket.once('connect', () => clearTimeout(hung));
    socket.once('close', () => clearTimeout(hung));
    callback(null, { connection: socket });
  };
}
