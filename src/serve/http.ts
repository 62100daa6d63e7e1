// Responses of the remote protocol: JSON bodies, the error envelope and status mapping (from the one table in
// src/errors.ts), and the headers every response carries.
import { ERROR_KINDS, PlasmiteError, asPlasmiteError } from "../errors.ts";
import { isJsonMediaType, notJson } from "./origin-guard.ts";

export const PROTOCOL_HEADER = "plasmite-version";
export const PROTOCOL_VERSION = "0";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", [PROTOCOL_HEADER]: PROTOCOL_VERSION, ...headers },
  });
}

/** The HTTP status for an error: the kind's status, except authentication failures (401). */
export function statusOf(e: PlasmiteError): number {
  if (e.kind === "Permission" && e.message.startsWith("unauthorized:")) return 401;
  return ERROR_KINDS[e.kind].httpStatus;
}

/** `{"error":{kind,message,hint?,path?,seq?,offset?}}` with the mapped status; paths of the server's files are not shown. */
export function errorResponse(err: unknown): Response {
  const e = asPlasmiteError(err);
  const body = e.toJSON();
  delete body.path; // clients name pools, not files: do not reveal the server's directory layout
  return json({ error: body }, statusOf(e));
}

export function errorBody(err: unknown): Record<string, unknown> {
  const body = asPlasmiteError(err).toJSON();
  delete body.path;
  return { error: body };
}

export function usage(message: string, hint?: string): PlasmiteError {
  return new PlasmiteError("Usage", message, { hint });
}

/**
 * Reads a request body as JSON, refusing more than `maxBytes` (413) even when no Content-Length is sent, and a
 * body not sent as JSON (415): a cross-site `text/plain` or form POST needs no CORS preflight.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  return (await readJsonBodyText(request, maxBytes)).value;
}

/** readJsonBody that also gives the body's text (to store a member exactly as it was sent). */
export async function readJsonBodyText(request: Request, maxBytes: number): Promise<{ value: unknown; text: string }> {
  const text = await readBodyText(request, maxBytes);
  return { value: parseBody(text), text };
}

async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const contentType = request.headers.get("content-type");
  if (!isJsonMediaType(contentType)) throw notJson(contentType);
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  // With a trustworthy length (HTTP/1.1 enforces it) the whole body is read in one call.
  if (Number.isFinite(declared)) return utf8Text(new Uint8Array(await request.arrayBuffer()));
  const reader = request.body?.getReader();
  if (!reader) throw usage("request body is required", 'Send a JSON object, e.g. {"data":{"hello":"world"}}.');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      void reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return utf8Text(Buffer.concat(chunks));
}

// fatal: invalid UTF-8 is refused, never stored as U+FFFD replacement characters (as `pls poke` refuses it)
const utf8 = new TextDecoder("utf-8", { fatal: true });

function utf8Text(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw usage("request body is not valid UTF-8", "JSON text must be UTF-8; convert it first (e.g. iconv -t UTF-8).");
  }
}

function parseBody(text: string): unknown {
  if (text.trim() === "") throw usage("request body is required", 'Send a JSON object, e.g. {"data":{"hello":"world"}}.');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usage(`invalid JSON body: ${(err as Error).message}`);
  }
}

function tooLarge(maxBytes: number): PlasmiteError {
  // Busy maps to 423; 413 is specific to this one rule, so it is flagged on the error.
  const e = new PlasmiteError("Usage", `request body exceeds ${maxBytes} bytes`, { hint: `Send at most ${maxBytes} bytes (server --max-body-bytes).` });
  (e as PlasmiteError & { status?: number }).status = 413;
  return e;
}

/** errorResponse honouring a status attached to the error (413). */
export function errorResponseWithStatus(err: unknown): Response {
  const status = (err as { status?: number }).status;
  const res = errorResponse(err);
  return status ? new Response(res.body, { status, headers: res.headers }) : res;
}
