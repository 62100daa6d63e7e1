// The receipt lines a stream ingest prints when stdout is piped (src/wire/receipt.ts: one per appended record),
// buffered for stdout. They are written as bytes, digit by digit (as peek writes envelopes): building each line
// as a string (number and time formatting, concatenation, then encoding) cost as much as parsing the record.
import { HEAD_BYTES, receiptTail, receiptText, writeReceipt } from "../wire/index.ts";
import { LineWriter } from "./line-writer.ts";

const FLUSH_BYTES = 256 * 1024;

/** Where the lines go: stdout (LineWriter) or, in tests, a collector. */
export interface ChunkSink {
  writeChunk(chunk: Uint8Array): Promise<void>;
  flush(): Promise<void>;
}

export class ReceiptLines {
  private buf = new Uint8Array(FLUSH_BYTES + 4096);
  private pos = 0;
  /** `,"meta":{"tags":…}}` and a newline, for these tags. */
  private readonly tail: Uint8Array;
  private readonly tags: readonly string[];

  constructor(
    tags: readonly string[],
    private readonly out: ChunkSink = new LineWriter(),
  ) {
    this.tags = tags;
    this.tail = new TextEncoder().encode(receiptTail(tags) + "\n");
  }

  /** Receipts for firstSeq, firstSeq + 1, … with times as high/low 32-bit pairs (see formatTimeParts). */
  pushRun(firstSeq: number, times: readonly number[]): void {
    const count = times.length >>> 1;
    const maxLine = HEAD_BYTES + this.tail.length;
    for (let i = 0; i < count; i++) {
      if (this.pos + maxLine > this.buf.length) this.spill();
      this.pos = writeReceipt(this.buf, this.pos, firstSeq + i, times[2 * i], times[2 * i + 1], this.tail);
    }
    if (this.pos >= FLUSH_BYTES) this.spill();
  }

  /** One receipt with its time already formatted (a remote pool's answer). */
  push(seq: number, time: string): void {
    const line = new TextEncoder().encode(receiptText(seq, time, this.tags) + "\n");
    if (this.pos + line.length > this.buf.length) this.spill();
    this.buf.set(line, this.pos);
    this.pos += line.length;
  }

  /** Writes what is buffered; resolves once written (or once the reader went away). */
  flush(): Promise<void> {
    this.spill();
    return this.out.flush();
  }

  private spill(): void {
    if (this.pos === 0) return;
    void this.out.writeChunk(this.buf.slice(0, this.pos));
    this.pos = 0;
  }
}
