import type { Logger } from 'pino';

export interface PollingLoopOptions {
  /** How long to wait between rounds when nothing woke the loop. */
  intervalMs: number;
  logger: Logger;
  /** Logged (as a warning) when a round throws; the loop tries again after the interval. */
  failureMessage: string;
}

/**
 * The loop both outbox relays run: a round now, another at once when the round says there is more
 * or something woke the loop while it ran, otherwise after the interval or when woken, whichever
 * is first. A failed round (the database or broker away) is logged and waits the interval, so an
 * outage is not a busy loop.
 */
export class PollingLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(
    /** One round; answers true when it left work behind and wants to go again at once. */
    private readonly round: () => Promise<boolean>,
    private readonly options: PollingLoopOptions,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Asks for a round now rather than at the next interval. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops taking rounds and waits for the one in progress. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let failed = false;
      try {
        if (await this.round()) continue;
      } catch (error) {
        failed = true;
        this.options.logger.warn({ err: error }, this.options.failureMessage);
      }
      if (!this.running) break;
      if (this.woken && !failed) continue;
      await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.options.intervalMs);
      this.wakeUp = done;
    });
  }
}
