// Import attribute `with { type: "text" }` on the gzipped base64 copy of the prebuilt shim gives its text.
declare module "*.so.gz.b64" {
  const text: string;
  export default text;
}
