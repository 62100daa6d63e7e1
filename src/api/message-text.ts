// Message text for the interfaces: what a stored payload may be, how given JSON text is stored, how a member of
// an envelope is found without parsing it, and the size limits a command or tool names. The byte
// layout (src/format) and the engine own these rules; the interfaces take them from here, never directly.
export { checkData, checkMessage, checkedTags, dataText, dataTextOf, isJsonObject, objectText, payloadHasTags, payloadString, wantedTags } from "../format/payload.ts";
export type { CheckedTags, DataText } from "../format/payload.ts";
export { compactJson, memberSource } from "../format/json-scan.ts";
export { DEFAULT_POOL_SIZE_BYTES, MAX_POOL_SIZE_BYTES } from "../format/limits.ts";
/** A text's UTF-8 length: what a pool's payload limit (PoolHandle.maxPayloadBytes) counts. */
export { utf8Length } from "../format/ring.ts";
