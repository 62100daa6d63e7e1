// Lets TypeScript accept `import path from "./x.so" with { type: "file" }` (Bun returns a path string).
declare module "*.so" {
  const path: string;
  export default path;
}
