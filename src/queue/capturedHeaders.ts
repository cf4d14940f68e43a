/**
 * Header blocks the spool saw stream past at receipt (latin1, as stored), by message id, kept
 * for the message's first trip through the queue: the prequeue policies read them, then the
 * first attempt's Delivered-To loop check takes them, so neither reads the body back. Dropped
 * at the first attempt, when the policies defer, and when the message ends; a later run
 * (a retry, recovery after a restart) reads the block from the spool.
 */
export class CapturedHeaders {
  private readonly blocks = new Map<string, string>();

  capture(id: string, headerBlock: string): void {
    this.blocks.set(id, headerBlock);
  }

  peek(id: string): string | undefined {
    return this.blocks.get(id);
  }

  take(id: string): string | undefined {
    const block = this.blocks.get(id);
    this.blocks.delete(id);
    return block;
  }

  forget(id: string): void {
    this.blocks.delete(id);
  }

  clear(): void {
    this.blocks.clear();
  }
}
