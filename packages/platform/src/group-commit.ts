/**
 * Writes that arrive while one is in flight wait for it and then go together, as one round trip:
 * the first write of a quiet period goes at once (no timer, no added latency), and under load each
 * round trip carries everything that queued up behind the previous one. Each caller gets its own
 * item's result; a batch that fails as a whole fails every caller in it.
 */
export class GroupCommit<T, R = void> {
  private queued: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private writing = false;

  /** `write` answers one result per item, in the order given. */
  constructor(private readonly write: (items: T[]) => Promise<R[]>) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      try {
        const results = await this.write(batch.map((entry) => entry.item));
        batch.forEach((entry, index) => entry.resolve(results[index] as R));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.writing = false;
  }
}
