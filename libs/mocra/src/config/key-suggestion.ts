/** Levenshtein distance; keys are short, so the O(n·m) table is fine. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, substitution));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** Compares keys the way people mistype them: case and `-` versus `_` do not count as edits. */
function canonical(key: string): string {
  return key.toLowerCase().replace(/-/g, '_');
}

/**
 * The known key closest to `unknown`, or undefined when none is close enough to be a plausible typo
 * (at most a third of the key's length in edits, and at least 2 allowed for short keys).
 */
export function closestKey(unknown: string, known: Iterable<string>): string | undefined {
  const wanted = canonical(unknown);
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(wanted, canonical(key));
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}
