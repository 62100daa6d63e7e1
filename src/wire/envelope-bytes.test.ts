// EnvelopeLines hands its buffer over without a copy (takeBuffer) and reuses it only once given back (recycle):
// a chunk still being written must never change under the writer.
import { expect, test } from "bun:test";
import { EnvelopeLines } from "./envelope-bytes.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const message = (seq: number) => ({ seq, timeHi: 0, timeLo: seq, payload: new TextEncoder().encode(`{"meta":{"tags":[]},"data":{"n":${seq}}}`) });

test("a chunk taken without a copy keeps its bytes until recycled, and its buffer is reused after", () => {
  const lines = new EnvelopeLines(1024);
  lines.pushEnvelope(message(1), "\n");
  const first = lines.takeBuffer();
  const firstText = text(first);
  expect(firstText).toBe('{"seq":1,"time":"1970-01-01T00:00:00.000000001Z","meta":{"tags":[]},"data":{"n":1}}\n');
  expect(lines.length).toBe(0);
  // written while the first chunk is in flight: a different buffer, so the first is untouched
  lines.pushEnvelope(message(2), "\n");
  const second = lines.takeBuffer();
  expect(second.buffer).not.toBe(first.buffer);
  expect(text(first)).toBe(firstText);
  // once given back, the first chunk's buffer is the spare the next take switches to
  lines.recycle(first);
  lines.pushEnvelope(message(3), "\n");
  const third = lines.takeBuffer();
  expect(third.buffer === first.buffer || third.buffer === second.buffer).toBe(false);
  lines.pushEnvelope(message(4), "\n");
  const fourth = lines.takeBuffer();
  expect(fourth.buffer === first.buffer).toBe(true);
  expect(text(fourth)).toContain('"data":{"n":4}');
  expect(text(second)).toContain('"data":{"n":2}');
  expect(text(third)).toContain('"data":{"n":3}');
});
