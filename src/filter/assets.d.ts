// Type declarations for the non-TypeScript assets that src/filter bundles through import attributes.
// Declarations only: never put code or values here.

/** `import p from "x.wasm" with { type: "file" }`: Bun hands back a path (inside a compiled binary, a /$bunfs/ path). */
declare module "*.wasm" {
  const path: string;
  export default path;
}

/** `import s from "jq-web/jq.js" with { type: "text" }`: the loader's source text, evaluated by src/filter/jq.ts. */
declare module "jq-web/jq.js" {
  const source: string;
  export default source;
}
