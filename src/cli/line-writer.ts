// Buffered stdout for streams of JSON lines (peek, stream receipts). A module of its own: one-shot commands
// print a single line and never load it (or the byte buffer and digit writers behind it).
import { EnvelopeLines } from "../wire/index.ts";
import type { StoredMessage } from "../api/client.ts";

/** Buffered stdout for streams of lines, written once per ~256 KiB and before waiting; a reader that went away
 * (`| head -1`) sets `closed` instead of throwing. */
export class LineWriter {
  private readonly chunks = new EnvelopeLines(512 * 1024);
  // Text lines are concatenated (a rope: measured 94 ns per receipt line against 144 for an array and join)
  // and encoded together, once per flush.
  private text = "";
  private pending: Promise<void> = Promise.resolve();
  closed = false;
  /** Lines pushed so far. */
  lines = 0;

  push(text: string): void {
    this.text += text;
    this.lines++;
    if (this.text.length + this.chunks.length >= FLUSH_BYTES) void this.flush();
  }

  /** One JSON Lines envelope spliced from the stored payload (see EnvelopeLines.pushEnvelope). */
  pushEnvelope(m: StoredMessage): void {
    this.moveTexts();
    this.lines++;
    this.chunks.pushEnvelope(m, "\n");
    if (this.chunks.length >= FLUSH_BYTES) void this.flush();
  }

  private moveTexts(): void {
    if (this.text.length === 0) return;
    this.chunks.pushText(this.text);
    this.text = "";
  }

  /**
   * Writes what is buffered, in order. Bun.write reports a broken pipe as a rejected promise (a FileSink can
   * raise it as an uncaught error instead), which sets `closed`: the reader went away (e.g. `| head -1`).
   */
  flush(): Promise<void> {
    this.moveTexts();
    if (this.chunks.length === 0 || this.closed) return this.pending;
    const chunk = this.chunks.takeBuffer();
    return this.write(chunk, () => this.chunks.recycle(chunk));
  }

  /** Queues bytes built elsewhere (the caller gives them up), after everything pushed before. */
  writeChunk(chunk: Uint8Array): Promise<void> {
    this.moveTexts();
    if (this.chunks.length > 0) void this.flush();
    return this.write(chunk);
  }

  /** Queues one write after the others; `written` runs once the bytes are out (or the reader went away). */
  private write(chunk: Uint8Array, written?: () => void): Promise<void> {
    this.pending = this.pending.then(async () => {
      if (!this.closed) {
        try {
          await Bun.write(Bun.stdout, chunk);
        } catch {
          this.closed = true;
        }
      }
      written?.();
    });
    return this.pending;
  }
}

const FLUSH_BYTES = 256 * 1024;
