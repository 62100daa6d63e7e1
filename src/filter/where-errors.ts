// What both --where engines (fast-where.ts through where.ts, and jq.ts) say about an expression, so that
// neither imports the other: the example a hint shows, and the error for a value that is not a boolean.
import { PlasmiteError } from "../errors.ts";

export const WHERE_EXAMPLE = `--where '.data.status == "green"'`;

/** The error for an expression whose output on a message is not a boolean. */
export function nonBooleanError(expression: string): PlasmiteError {
  return new PlasmiteError("Usage", `--where expression '${expression}' yielded a value that is not true or false`, {
    hint: `each --where expression must yield a boolean (write select(COND) as COND), e.g. ${WHERE_EXAMPLE}`,
  });
}
