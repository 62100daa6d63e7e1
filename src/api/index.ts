// Public entry point of the `plasmite` package: `import { Client } from "plasmite"`.
export { Client, PoolHandle, type AppendOptions, type ClientOptions, type TailOptions, type PoolEntry, type SeqBounds } from "./client.ts";
export { type PoolInfo } from "./info.ts";
export { type Message, type Receipt } from "../wire/index.ts";
export { PlasmiteError, ERROR_KINDS, type ErrorKind } from "../errors.ts";
export { type Durability, type CreateOptions } from "../pool/pool.ts";
export { Cursor, type CursorStart, type Drop } from "../pool/cursor.ts";
export { RemoteClient, RemotePoolHandle, type RemoteOptions, type RemoteTailOptions } from "../remote/client.ts";
