// Tool arguments: the JSON Schema subset the MCP tools declare, and the one check of arguments against it, so the
// schema an agent reads and the refusal it gets never disagree. Pure: no I/O.
// Invariant: an argument the schema does not name is refused (never ignored), and a refusal names the argument.
import { PlasmiteError } from "../errors.ts";

/** One argument: the JSON Schema keywords used here (emitted as is), plus a hint shown when it is refused. */
export type ArgSchema = {
  description: string;
  /** Shown with a refusal (not part of the emitted schema). */
  hint?: string;
} & (
  | { type: "string"; minLength?: number; maxLength?: number; pattern?: string; enum?: readonly string[]; default?: string }
  | { type: "integer"; minimum: number; maximum: number; default?: number }
  | { type: "boolean"; default?: boolean }
  | { type: "object" }
  | { type: "array"; items: { type: "string"; minLength: number; maxLength: number }; maxItems: number }
  | { type: readonly ["integer", "string"]; minimum: number }
);

export interface ObjectSchema {
  properties: Record<string, ArgSchema>;
  required: readonly string[];
}

/** The JSON Schema of a tool's input: an object with exactly these properties (additionalProperties: false). */
export function inputJsonSchema(schema: ObjectSchema): { type: "object"; properties: Record<string, unknown>; required: string[]; additionalProperties: false } {
  const properties: Record<string, unknown> = {};
  for (const [name, arg] of Object.entries(schema.properties)) {
    const { hint: _hint, ...json } = arg;
    properties[name] = json;
  }
  return { type: "object", properties, required: [...schema.required], additionalProperties: false };
}

/**
 * Checks `args` against `schema` and returns them typed as the caller expects; Usage naming the first argument that
 * is unknown, missing, of the wrong type or out of range.
 */
export function checkArguments<T>(tool: string, schema: ObjectSchema, args: unknown): T {
  const given = args ?? {};
  if (typeof given !== "object" || Array.isArray(given)) throw refused(tool, "arguments must be a JSON object");
  const known = Object.keys(schema.properties);
  for (const name of Object.keys(given)) {
    if (!(name in schema.properties)) {
      throw refused(tool, `unknown argument '${name.slice(0, 80)}'`, `${tool} takes ${known.length === 0 ? "no arguments" : known.join(", ")}.`);
    }
  }
  for (const name of schema.required) {
    if ((given as Record<string, unknown>)[name] === undefined) throw refused(tool, `missing required argument '${name}'`, schema.properties[name].hint);
  }
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const problem = problemWith(schema.properties[name], value);
    if (problem) throw refused(tool, `argument '${name}' ${problem}`, schema.properties[name].hint);
  }
  return given as T;
}

function problemWith(arg: ArgSchema, value: unknown): string | null {
  if (typeof arg.type !== "string") {
    const { minimum } = arg as { minimum: number };
    if (typeof value === "string") return null;
    return Number.isSafeInteger(value) && (value as number) >= minimum ? null : `must be an integer >= ${minimum} or a string`;
  }
  switch (arg.type) {
    case "string": {
      if (typeof value !== "string") return `must be a string, not ${typeName(value)}`;
      if (arg.minLength !== undefined && value.length < arg.minLength) return arg.minLength === 1 ? "must not be empty" : `must be at least ${arg.minLength} characters`;
      if (arg.maxLength !== undefined && value.length > arg.maxLength) return `must be at most ${arg.maxLength} characters`;
      if (arg.enum && !arg.enum.includes(value)) return `must be one of ${arg.enum.join(", ")}`;
      if (arg.pattern && !new RegExp(arg.pattern).test(value)) return `'${value.slice(0, 80)}' does not match ${arg.pattern}`;
      return null;
    }
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return `must be an integer, not ${typeName(value)}`;
      if (value < arg.minimum || value > arg.maximum) return `must be from ${arg.minimum} to ${arg.maximum}, got ${value}`;
      return null;
    case "boolean":
      return typeof value === "boolean" ? null : `must be true or false, not ${typeName(value)}`;
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value) ? null : `must be a JSON object, not ${typeName(value)}`;
    case "array": {
      if (!Array.isArray(value)) return `must be an array of strings, not ${typeName(value)}`;
      if (value.length > arg.maxItems) return `must have at most ${arg.maxItems} items`;
      const bad = value.findIndex((v) => typeof v !== "string" || v.length < arg.items.minLength || v.length > arg.items.maxLength);
      return bad < 0 ? null : `item ${bad} must be a non-empty string of at most ${arg.items.maxLength} characters`;
    }
  }
  return null;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "number" && !Number.isInteger(value)) return "a fraction";
  return `a ${typeof value}`;
}

function refused(tool: string, message: string, hint?: string): PlasmiteError {
  return new PlasmiteError("Usage", `${tool}: ${message}`, { hint: hint ?? "See the tool's input schema (tools/list)." });
}
