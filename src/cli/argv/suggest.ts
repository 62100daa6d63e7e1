// "Did you mean …?" for a mistyped command or flag: the nearest known spelling by edit distance. Used only
// when a command line is already wrong, never on the way to running a command.

/** Most edits a suggestion may be away from what was typed (`peak` → `peek` is 1, `--tial` → `--tail` is 1). */
const MAX_EDITS = 2;

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two neighbours (the
 * commonest typo, `tial`), each costing 1.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}

/**
 * The known word nearest to `typed`, when it is close enough to be a typo: at most MAX_EDITS edits, and fewer
 * than half of the typed word's letters (so `x` suggests nothing). Leading dashes do not count as letters.
 * Ties go to the first candidate.
 */
export function closest(typed: string, candidates: Iterable<string>): string | undefined {
  const letters = (s: string) => s.replace(/^-+/, "");
  const word = letters(typed);
  let best: string | undefined;
  let bestDistance = Math.min(MAX_EDITS, Math.ceil(word.length / 2) - 1) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word, letters(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
