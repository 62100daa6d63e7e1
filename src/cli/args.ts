// What a command module imports to define itself (argv/define.ts owns both; argv/ is the command line's one
// module). Loads no citty.
export { collectRepeated, defineCommand } from "./argv/define.ts";
