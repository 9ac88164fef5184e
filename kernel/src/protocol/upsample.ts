// Bilinear upsampling of feature-map-resolution maps (CAMs) to image resolution: in the browser for
// live widgets, in the kernel for static PNGs — the same code, so both show the same pixels.
// Pixel centres are aligned the way cv2.resize(INTER_LINEAR) and
// tf.image.resizeBilinear(halfPixelCenters=true) align them: destination pixel d samples the
// source at (d + 0.5) * src/dst - 0.5, clamped to the edge pixels.

/** A 2-D map of real values, row-major. */
export interface FloatMap {
  width: number;
  height: number;
  values: Float32Array;
}

/** Source coordinate, lower neighbour and weight of the upper neighbour, per destination index. */
function axisSamples(src: number, dst: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const lo = new Int32Array(dst);
  const hi = new Int32Array(dst);
  const frac = new Float32Array(dst);
  const ratio = src / dst;
  for (let d = 0; d < dst; d++) {
    const s = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), src - 1);
    const l = Math.floor(s);
    lo[d] = l;
    hi[d] = Math.min(l + 1, src - 1);
    frac[d] = s - l;
  }
  return { lo, hi, frac };
}

/** The map resampled to width x height (bilinear, half-pixel centres). */
export function upsampleBilinear(map: FloatMap, width: number, height: number): FloatMap {
  if (map.values.length !== map.width * map.height) {
    throw new Error(`upsampleBilinear: a ${map.width}x${map.height} map needs ${map.width * map.height} values, got ${map.values.length}`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`upsampleBilinear: target size must be positive integers, got ${width}x${height}`);
  }
  const xs = axisSamples(map.width, width);
  const ys = axisSamples(map.height, height);
  const src = map.values;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const r0 = ys.lo[y] * map.width;
    const r1 = ys.hi[y] * map.width;
    const fy = ys.frac[y];
    for (let x = 0; x < width; x++) {
      const x0 = xs.lo[x];
      const x1 = xs.hi[x];
      const fx = xs.frac[x];
      const top = src[r0 + x0] + (src[r0 + x1] - src[r0 + x0]) * fx;
      const bottom = src[r1 + x0] + (src[r1 + x1] - src[r1 + x0]) * fx;
      out[y * width + x] = top + (bottom - top) * fy;
    }
  }
  return { width, height, values: out };
}
