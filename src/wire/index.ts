// What a client sees, in one place: the message envelope (as an object, as text and as bytes for JSON Lines),
// the time text (one RFC 3339 formatter with nanoseconds, and its byte writer), receipts, and the retention-gap
// error. The CLI, the server, MCP, the bridge, the library and the remote client all write these through here,
// so a change to what users read is made once. Error kinds and their exit codes / HTTP statuses stay in
// src/errors.ts (every layer throws them). Pure: no I/O; the only state is the time formatters' last-value caches.
export { envelopeDataText, envelopeJson, envelopeOfData, envelopeOfPayload, envelopePrefix, toMessage, type Message, type MessageOrigin } from "./envelope.ts";
export { EnvelopeLines } from "./envelope-bytes.ts";
export { receiptOf, receiptTail, receiptText, writeReceipt, type Receipt } from "./receipt.ts";
export { HEAD_BYTES, asciiBytes, writeHead } from "./time-bytes.ts";
export { formatTime, formatTimeParts } from "./time-text.ts";
export { retentionGapError } from "./gap.ts";
