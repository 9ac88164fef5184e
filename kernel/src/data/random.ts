// A small seeded generator (mulberry32) so generated datasets are the same on every run.
/** A random number generator: each call returns the next number in [0, 1). */
export type Rng = () => number;

/**
 * A deterministic generator from a seed (the same seed gives the same sequence), for reproducible notebooks and tests.
 * @example const rng = camlab.seededRandom(7); rng(); // 0.…
 */
export function seededRandom(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
