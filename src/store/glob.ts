/**
 * Glob-style matching as Redis does it for KEYS, SCAN MATCH, PSUBSCRIBE and
 * CONFIG GET: `*` any run, `?` one character, `[abc]`, `[^a-z]` classes, and
 * `\` to escape. Works on byte strings (one character per byte).
 */

export function globMatch(pattern: string, text: string, noCase = false): boolean {
  if (pattern === '*') return true;
  const p = noCase ? pattern.toLowerCase() : pattern;
  const t = noCase ? text.toLowerCase() : text;
  return matchIterative(p, t);
}

/**
 * Matches with one backtracking point, the last `*` seen: when a later step
 * fails, that star absorbs one more character. Every other element matches
 * exactly one character, so this finds a match whenever one exists, in
 * O(pattern * text) time at worst.
 */
function matchIterative(p: string, t: string): boolean {
  let pi = 0;
  let ti = 0;
  let starPattern = -1;
  let starText = 0;
  while (ti < t.length) {
    const step = pi < p.length ? matchOne(p, pi, t[ti]) : -1;
    if (step === STAR) {
      starPattern = pi;
      starText = ti;
      pi++;
    } else if (step >= 0) {
      pi = step;
      ti++;
    } else if (starPattern >= 0) {
      pi = starPattern + 1;
      ti = ++starText;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

const STAR = -2;

/** Returns where the pattern continues after matching `ch` at `pi`, -1 on mismatch, STAR for `*`. */
function matchOne(p: string, pi: number, ch: string): number {
  const element = p[pi];
  if (element === '*') return STAR;
  if (element === '?') return pi + 1;
  if (element === '[') {
    const result = matchClass(p, pi, ch);
    return result.matched ? result.next : -1;
  }
  let literal = element;
  let next = pi + 1;
  if (element === '\\' && pi + 1 < p.length) {
    literal = p[pi + 1];
    next = pi + 2;
  }
  return literal === ch ? next : -1;
}

/** Matches one character against a `[...]` class starting at `start`; returns where the class ends. */
function matchClass(p: string, start: number, ch: string): { matched: boolean; next: number } {
  let i = start + 1;
  const negate = p[i] === '^';
  if (negate) i++;
  let matched = false;
  for (; i < p.length && p[i] !== ']'; i++) {
    if (p[i] === '\\' && i + 1 < p.length) {
      i++;
      if (p[i] === ch) matched = true;
    } else if (p[i + 1] === '-' && i + 2 < p.length) {
      // As in Redis, `]` right after `-` ends the range, not the class: `[a-]` is `]` to `a`.
      let low = p[i];
      let high = p[i + 2];
      if (low > high) [low, high] = [high, low];
      if (ch >= low && ch <= high) matched = true;
      i += 2;
    } else if (p[i] === ch) {
      matched = true;
    }
  }
  // An unterminated class ends at the pattern's end, as in Redis.
  const next = i < p.length ? i + 1 : i;
  return { matched: negate ? !matched : matched, next };
}
