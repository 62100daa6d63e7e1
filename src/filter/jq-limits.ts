// The bounds of jq-evaluated --where, named once: which messages jq's parser reads, and how much memory jq may take
// before an expression counts as runaway. Pure; loads no jq (fast-where.ts applies the nesting rule too).

/**
 * jq's parser keeps a stack of the containers being read: one slot per array, two per object (the object and the
 * key whose value is being read). It refuses to open an array or object while this many slots are in use, and
 * that refusal fails the whole input (jq 1.7's MAX_PARSING_DEPTH, as built in jq-web 0.6.2).
 */
export const JQ_PARSER_SLOTS = 256;

/**
 * The most jq's wasm memory may grow to. An expression that needs more (`[range(1e9)]`) stops with a Usage error
 * instead of taking the machine's memory; a sane expression on a message of the largest pool stays far below it.
 */
export const JQ_MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;

/**
 * Whether jq would refuse the valid JSON text `text[start, end)` (one envelope) for its nesting: such a message
 * matches no --where expression.
 */
export function tooDeepForJq(text: string, start = 0, end = text.length): boolean {
  // every slot takes at least two characters (`[` and `]`): most messages are decided by their length alone
  if (end - start < 2 * (JQ_PARSER_SLOTS + 1)) return false;
  let slots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: brackets inside it do not count
      for (i++; i < end; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (slots >= JQ_PARSER_SLOTS) return true;
      slots += c === 0x5b ? 1 : 2;
    } else if (c === 0x5d) slots -= 1;
    else if (c === 0x7d) slots -= 2;
  }
  return false;
}
