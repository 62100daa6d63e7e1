// The stop rules a follower applies to its matches, written once for the local follow engine (follow.ts) and
// for peek of a server's pool (whose stream arrives over HTTP): `one` (the first match), `one` with `last: N`
// (`--one --tail N`: the newest match once N matches exist, history counting: the newest of the history when it
// holds N, else the N-th match overall) and `max`. Pure; works on any message type, in seq order.

export type RuleStop = "one" | "max";

export interface StopRuleOptions {
  one?: boolean;
  /** The history is the last N (matches): with `one`, N matches are needed before one is delivered. */
  last?: number;
  max?: number;
}

export class StopRules<M> {
  private seen = 0;
  private sent = 0;
  private newest: M | null = null;
  private readonly needed: number;

  constructor(private readonly o: StopRuleOptions) {
    this.needed = o.one && o.last !== undefined ? Math.max(1, o.last) : 1;
  }

  /** What to deliver of a batch of matches, and the rule that stops the follower with it (null: go on). */
  take(matches: M[], history: boolean): { messages: M[]; stop: RuleStop | null } {
    if (matches.length === 0) return { messages: [], stop: null };
    if (this.o.one) {
      if (this.o.last !== undefined && history) {
        // remembered; the newest is picked when the history ends (historyEnded)
        this.seen += matches.length;
        this.newest = matches[matches.length - 1]!;
        return { messages: [], stop: null };
      }
      if (this.seen + matches.length < this.needed) {
        this.seen += matches.length;
        return { messages: [], stop: null };
      }
      return { messages: [matches[this.needed - this.seen - 1]!], stop: "one" };
    }
    if (this.o.max !== undefined && this.sent + matches.length >= this.o.max) {
      const keep = this.o.max - this.sent;
      this.sent = this.o.max;
      return { messages: matches.slice(0, keep), stop: "max" };
    }
    this.sent += matches.length;
    return { messages: matches, stop: null };
  }

  /**
   * The most matches this follower can still deliver (Infinity: no bound). A reader without a filter reads no
   * more messages than this: `tail?since_seq=S&max=1` read a whole batch of 4,096 for its one message.
   */
  wanted(history: boolean): number {
    if (this.o.one) return this.o.last !== undefined && history ? Infinity : this.needed - this.seen;
    return this.o.max !== undefined ? this.o.max - this.sent : Infinity;
  }

  /** Where the history ends: with `one` and `last: N`, the newest match once it held N (deliver it, then stop). */
  historyEnded(): M | null {
    return this.o.one && this.o.last !== undefined && this.seen >= this.needed ? this.newest : null;
  }
}
