// Message text for the interfaces: what a stored payload may be, how given JSON text is stored, how a member of
// an envelope is found without parsing it, and the pool size limits a command or tool names. The byte layout
// (src/format) owns these rules; the interfaces take them from here, never from src/format directly.
export { checkMessage, dataTextOf, isJsonObject, payloadPrefix } from "../format/payload.ts";
export { compactJson, memberSource } from "../format/json-scan.ts";
export { DEFAULT_POOL_SIZE_BYTES, MAX_POOL_SIZE_BYTES } from "../format/limits.ts";
