// "Did you mean" for layer and node names: an unknown name is an error that lists the closest.

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The `count` names closest to `wanted` (case-insensitive; containing it counts as close). */
export function closestNames(wanted: string, names: readonly string[], count = 5): string[] {
  const w = wanted.toLowerCase();
  return names
    .map((n) => {
      const l = n.toLowerCase();
      const contains = l.includes(w) || w.includes(l) ? -0.5 * Math.min(l.length, w.length) : 0;
      return { n, score: editDistance(w, l) + contains };
    })
    .sort((a, b) => a.score - b.score || a.n.localeCompare(b.n))
    .slice(0, count)
    .map((x) => x.n);
}
