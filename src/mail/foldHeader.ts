/**
 * Folding a header field line (RFC 5322 §2.2.3): when it is longer than 78 characters,
 * break it at spaces, each break written as CRLF + TAB in place of the space, so that
 * unfolding gives back the same words. foldClauses prefers breaks between whole clauses
 * (Postfix's Received: layout) and word-folds only a clause too long for a line. A word
 * too long to fit stays whole on its own line (the hard limit is 998).
 */

export const FOLD_WIDTH = 78;

/** Folds `line` at any space, as needed. */
export function foldHeader(line: string, width: number = FOLD_WIDTH): string {
  return foldClauses(line.split(' '), width, false);
}

/** Joins `clauses` with spaces, breaking only between clauses unless one alone is too long. */
export function foldClauses(clauses: readonly string[], width: number = FOLD_WIDTH, refold = true): string {
  const lines: string[] = [];
  let current = '';
  for (const [i, clause] of clauses.entries()) {
    // A continuation line starts with the TAB, which counts toward its width.
    const prefix = lines.length === 0 ? 0 : 1;
    if (i === 0 || current === '' || prefix + current.length + 1 + clause.length <= width) {
      current = i === 0 ? clause : `${current} ${clause}`;
    } else {
      lines.push(current);
      current = clause;
    }
  }
  lines.push(current);
  if (!refold) return lines.join('\r\n\t');
  return lines.map((line, i) => (i === 0 ? foldHeader(line, width) : foldHeader(`\t${line}`, width))).join('\r\n');
}
