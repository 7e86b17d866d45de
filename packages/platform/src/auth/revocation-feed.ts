import type { Channel, ChannelModel } from 'amqplib';
import { parseEvent, tokenRevocationTypes } from '@oip/contracts';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { BrokerConnection } from '../messaging/broker-connection';
import { assertExchange, EXCHANGE } from '../messaging/topology';
import type { Revocation, TokenRevocations } from './token-revocations';

/** Where the complete list of recent revocations comes from (user-service's HTTP endpoint, or its own database). */
export type RevocationSource = () => Promise<Revocation[]>;

const revocationList = z.object({ revocations: z.array(z.object({ userId: z.string().min(1), tokensValidAfter: z.iso.datetime({ offset: true }) })) });

/** Path of the list beside the JWKS on user-service (both are what a verifier needs from the issuer). */
export const REVOCATIONS_PATH = '/.well-known/token-revocations.json';

/** The list served by user-service, found beside the JWKS the verifier already knows. */
export function httpRevocationSource(jwksUrl: string, timeoutMs = 3000): RevocationSource {
  const url = new URL(REVOCATIONS_PATH, jwksUrl).toString();
  return async () => {
    const answer = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!answer.ok) throw new Error(`${url} answered ${answer.status}`);
    return revocationList.parse(await answer.json()).revocations;
  };
}

export interface RevocationFeedOptions {
  revocations: TokenRevocations;
  source: RevocationSource;
  /** Absent: the list is kept current by polling alone. */
  broker: BrokerConnection | undefined;
  logger: Logger;
  /** How often the list is fetched while no subscription is live (broker away), in ms. */
  pollIntervalMs?: number;
}

/**
 * Keeps a process's TokenRevocations current. Each process binds an exclusive, auto-delete queue of
 * its own to `user_roles_changed` / `user_deactivated` (every replica must see every event, unlike
 * the shared work queues), and fetches the complete recent list from the issuer at start and after
 * each (re)subscription, so that changes made while it was not listening are not missed. While the
 * broker is away it polls the list instead. Until the first list arrives, protected requests answer
 * 503 (fail closed) and readiness is down.
 */
export class RevocationFeed {
  private subscription: Channel | undefined;
  private backfillWanted = true;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: RevocationFeedOptions) {}

  /** Subscribes (when there is a broker), tries the first backfill at once, and keeps going in the background. */
  async start(firstAttemptTimeoutMs = 3000): Promise<void> {
    this.stopped = false;
    const broker = this.options.broker;
    if (broker) {
      await broker.onConnect(async (connection) => {
        if (!this.stopped) await this.subscribe(connection, broker);
      });
    }
    const first = this.backfill().then(
      () => (this.backfillWanted = false),
      (error: unknown) => this.options.logger.warn({ err: error }, 'token revocations not fetched yet, retrying in the background'),
    );
    await Promise.race([first, new Promise((resolve) => setTimeout(resolve, firstAttemptTimeoutMs).unref())]);
    this.loop = this.keepCurrent();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.subscription?.close().catch(() => undefined);
    this.subscription = undefined;
  }

  /** For the readiness check. */
  assertSynced(): void {
    if (!this.options.revocations.isSynced) throw new Error('token revocations not fetched yet');
  }

  private async subscribe(connection: ChannelModel, broker: BrokerConnection): Promise<void> {
    const channel = await connection.createChannel();
    channel.on('error', (error: unknown) => this.options.logger.warn({ err: error }, 'revocation channel error'));
    channel.on('close', () => {
      if (this.subscription !== channel) return;
      this.subscription = undefined;
      if (!this.stopped) broker.reopenWhileConnected(connection, () => this.subscribe(connection, broker));
    });
    await assertExchange(channel);
    // Server-named, exclusive and auto-delete: it lives exactly as long as this process listens.
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    for (const type of tokenRevocationTypes) await channel.bindQueue(queue, EXCHANGE, type);
    // No acks: the effect is in memory, and whatever a broken subscription missed the backfill brings.
    await channel.consume(queue, (message) => (message ? this.receive(message.content) : undefined), { noAck: true });
    this.subscription = channel;
    // Anything revoked while there was no subscription is in the issuer's list.
    this.backfillWanted = true;
    this.wake?.();
  }

  private receive(content: Buffer): void {
    try {
      const event = parseEvent(JSON.parse(content.toString('utf8')));
      if (event.type === 'user_roles_changed' || event.type === 'user_deactivated') {
        const { userId, tokensValidAfter } = event.data;
        this.options.revocations.add({ userId, tokensValidAfter });
        this.options.logger.info({ userId, type: event.type }, 'tokens revoked');
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'ignoring a malformed revocation event');
    }
  }

  private async backfill(): Promise<void> {
    this.options.revocations.load(await this.options.source());
  }

  private async keepCurrent(): Promise<void> {
    const pollMs = this.options.pollIntervalMs ?? 5000;
    let failures = 0;
    while (!this.stopped) {
      if (this.backfillWanted || !this.subscription) {
        try {
          this.backfillWanted = false;
          await this.backfill();
          failures = 0;
        } catch (error) {
          this.backfillWanted = true;
          failures += 1;
          this.options.logger.warn({ err: error, failures }, 'cannot fetch token revocations');
        }
      }
      const delay = this.backfillWanted ? Math.min(pollMs, 250 * 2 ** Math.min(failures, 5)) : pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay).unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
