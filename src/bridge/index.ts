// `import { bridgeOut, bridgeIn } from "plasmite/bridge"`: mirror pools through NATS JetStream from a Bun
// program. The only entry that loads the NATS client: the main `plasmite` entry and every other command never do.
export { bridgeOut, MAX_IN_FLIGHT, PUBLISH_TIMEOUT_MS, type BridgeOutOptions } from "./out.ts";
export { bridgeIn, defaultDurable, MAX_ACK_PENDING, type BridgeInOptions } from "./in.ts";
export { type Bridge, type BridgeEvent, type BridgeCommonOptions } from "./common.ts";
export { type NatsOptions } from "./nats.ts";
export { readStatuses, statusPath, type BridgeStatus, type ShownStatus, type Gap } from "./status.ts";
export { type Origin, type StreamPosition } from "./wire.ts";
