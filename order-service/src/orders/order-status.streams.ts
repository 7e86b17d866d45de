import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from '@oip/platform';
import { LOGGER } from '@oip/platform/nest';
import type { Request, Response } from 'express';
import type { OrderView } from './order-view';

/** How often a listened-to order is read again. */
export const STATUS_POLL_MS = 500;
/** A comment line this often keeps proxies from closing a quiet stream and finds dead clients. */
const HEARTBEAT_MS = 15_000;
/** No change follows these statuses (order-status.ts), so the stream ends after sending one. */
const FINAL: ReadonlySet<string> = new Set(['REJECTED', 'CANCELLED', 'DELIVERED']);

/**
 * Server-sent events for one order: its state at once, then the order again after every change
 * (a new `version`). The instance that serves the stream reads the order from the database every
 * STATUS_POLL_MS while the client listens, instead of listening to the saga's events: with
 * several replicas only one of them consumes a given inventory answer, and a person's change may
 * be made on any of them, but every replica sees the committed row. One primary-key read per
 * listener per half second is cheap, and the stream stays correct whatever instance it lands on.
 */
@Injectable()
export class OrderStatusStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<() => void>();

  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  serve(req: Request, res: Response, first: OrderView, read: () => Promise<OrderView>): void {
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache, no-transform');
    // nginx and the like buffer responses unless told not to.
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    let version = first.version;
    let poll: NodeJS.Timeout | undefined;
    const send = (order: OrderView): void => {
      res.write(`event: status\nid: ${order.version}\ndata: ${JSON.stringify(order)}\n\n`);
    };
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const end = (): void => {
      clearInterval(heartbeat);
      clearTimeout(poll);
      this.open.delete(end);
      if (!res.writableEnded) res.end();
    };
    this.open.add(end);
    req.on('close', end);
    send(first);
    if (FINAL.has(first.status)) {
      end();
      return;
    }
    const next = (): void => {
      poll = setTimeout(() => void check(), STATUS_POLL_MS);
    };
    const check = async (): Promise<void> => {
      if (!this.open.has(end)) return;
      try {
        const order = await read();
        if (order.version !== version) {
          version = order.version;
          send(order);
          if (FINAL.has(order.status)) {
            end();
            return;
          }
        }
      } catch (error) {
        // A database hiccup: the client keeps its stream and the next read may succeed.
        this.logger.warn({ err: error, orderId: first.id }, 'order status stream: read failed');
      }
      if (this.open.has(end)) next();
    };
    next();
  }

  /** Open streams would hold the HTTP server open: they end before it closes. */
  beforeApplicationShutdown(): void {
    for (const end of [...this.open]) end();
  }
}
