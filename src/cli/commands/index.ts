// The command tree: every command by name, each loaded only when named (a lazy import), so a command line
// loads the code of its own command and no other. argv/parse.ts walks it; help and completion list it.
import { programName } from "../argv/program-name.ts";
import { VERSION } from "../version.ts";

const poke = () => import("./poke.ts").then((m) => m.default);
const peek = () => import("./peek.ts").then((m) => m.default);
const get = () => import("./get.ts").then((m) => m.default);

/**
 * `feed`/`follow`/`fetch` (the names since plasmite v0.3) are `poke`/`peek`/`get` under another name: the same
 * definition, so every flag is shared; help, errors and notices name the command as typed (meta.name).
 */
const named =
  <T extends { meta?: unknown }>(load: () => Promise<T>, name: string, of: string) =>
  async (): Promise<T> => {
    const def = await load();
    const meta = def.meta as { description?: string } | undefined;
    const description = meta?.description?.replaceAll(`pls ${of} `, `pls ${name} `).replace(`(also: ${name})`, `(also: ${of})`);
    return { ...def, meta: { ...meta, name, description } };
  };

const subCommands = {
  poke,
  feed: named(poke, "feed", "poke"),
  peek,
  follow: named(peek, "follow", "peek"),
  get,
  fetch: named(get, "fetch", "get"),
  tap: () => import("./tap.ts").then((m) => m.default),
  duplex: () => import("./duplex.ts").then((m) => m.default),
  pool: () => import("./pool.ts").then((m) => m.default),
  doctor: () => import("./doctor.ts").then((m) => m.default),
  serve: () => import("./serve.ts").then((m) => m.default),
  mcp: () => import("./mcp.ts").then((m) => m.default),
  bridge: () => import("./bridge.ts").then((m) => m.default),
  completion: () => import("./completion.ts").then((m) => m.completionCommand(root as never, programName())),
  version: () => import("./version.ts").then((m) => m.versionCommand(programName())),
};

/** The root command (`pls`): a plain object, so defining it loads neither citty nor any command. */
export const root = {
  meta: {
    get name() {
      return programName();
    },
    version: VERSION,
    description: "Persistent JSON message pools backed by plain files.\n\n  poke (or feed)    sends messages (write)\n  peek (or follow)  watches messages (read/stream)\n  get (or fetch)    fetches one message by seq\n  tap               records a command's output lines\n  duplex            chat: send typed lines and see the others'\n\nGlobal options: --dir PATH (default ~/.plasmite/pools), --color auto|always|never",
  },
  subCommands,
};
