/**
 * The store writes of each call, one after the other in the order they were issued (the row exists
 * before it is updated, the event follows the final update); a failing write is logged and the writes
 * after it still run. `idle()` resolves when every write started so far has settled.
 */
import type { Logger } from '../../kernel/index.js';

export class CallWriteChains {
  private readonly chains = new Map<string, Promise<void>>();

  /** `failure`: the log message of a failed write. */
  constructor(
    private readonly logger: Logger,
    private readonly failure: string,
  ) {}

  enqueue(callSid: string, write: () => Promise<void>): void {
    const previous = this.chains.get(callSid) ?? Promise.resolve();
    const next = previous.then(write).catch((error: unknown) => this.logger.error(this.failure, { callSid, error: String(error) }));
    this.chains.set(callSid, next);
    void next.then(() => {
      if (this.chains.get(callSid) === next) this.chains.delete(callSid);
    });
  }

  /**
   * A call's first write, its row, once this turn of the event loop has done its I/O (issue 8): a
   * call is created on the way to its first request (the webhook, the callee's INVITE), which
   * node:http and the SIP transport send from nextTicks and microtasks; building the INSERT and posting
   * it to the SQLite worker (~0.5 ms) would otherwise come first and hold that request back. Nothing
   * that request can cause (a REST fetch of the call, the callee's answer) comes back before the row
   * is queued, and the call's later writes are chained after it.
   */
  enqueueCreation(callSid: string, write: () => Promise<void>): void {
    this.enqueue(callSid, async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await write();
    });
  }

  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }
}
