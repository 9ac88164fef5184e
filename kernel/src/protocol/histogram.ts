// Histogram binning: equal-width bins from the smallest to the largest value, bins + 1 edges. The
// kernel counts a whole layer on the backend with these edges; the browser counts the quantized
// tiles it holds (a layer picked in the layer browser, a page of channels) with the same rule.
import { byteValue, type QuantizedMap } from "./quantized";

/** Counts per bin and the bins' edges. */
export interface Histogram {
  /** bins + 1 ascending edges. */
  edges: number[];
  counts: number[];
}

/** bins + 1 equally spaced edges from lo to hi (the one binning rule of every camlab histogram). */
export function histogramEdges(lo: number, hi: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
}

/** Counts values into `bins` equal-width bins spanning the smallest to the largest value. */
export function histogramOfMaps(maps: readonly QuantizedMap[], bins = 40): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogramOfMaps: bins must be a positive integer, got ${bins}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of maps) {
    // Each map's extremes are its byte extremes mapped through its own scale and offset.
    let bmin = 255;
    let bmax = 0;
    for (const b of m.bytes) {
      if (b < bmin) bmin = b;
      if (b > bmax) bmax = b;
    }
    if (m.bytes.length === 0) continue;
    const v0 = byteValue(m, bmin);
    const v1 = byteValue(m, bmax);
    lo = Math.min(lo, v0, v1);
    hi = Math.max(hi, v0, v1);
  }
  if (!Number.isFinite(lo)) return { edges: [], counts: [] };
  if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const edges = histogramEdges(lo, hi, bins);
  const counts = new Array<number>(bins).fill(0);
  for (const m of maps) {
    // 256 possible bytes per map: count bytes first, then place each byte's value once.
    const perByte = new Uint32Array(256);
    for (const b of m.bytes) perByte[b]++;
    for (let b = 0; b < 256; b++) {
      if (perByte[b] === 0) continue;
      const bin = Math.min(Math.floor((byteValue(m, b) - lo) / width), bins - 1);
      counts[Math.max(bin, 0)] += perByte[b];
    }
  }
  return { edges, counts };
}
