// Independent reference implementations of the CAM formulas, in plain JavaScript on host arrays
// (float64), written from the papers — they share no code with src/cam.
export type Img = number[][][]; // [h][w][c]

export function channelMeans(a: Img): number[] {
  const h = a.length, w = a[0].length, c = a[0][0].length;
  const out = new Array(c).fill(0);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) out[k] += a[i][j][k] / (h * w);
  return out;
}

export function weightedMap(a: Img, w: number[]): number[][] {
  return a.map((row) => row.map((px) => px.reduce((s, v, k) => s + v * w[k], 0)));
}

export const relu2d = (m: number[][]) => m.map((r) => r.map((v) => Math.max(0, v)));

export function gradCamWeights(g: Img): number[] {
  return channelMeans(g);
}

export function gradCamPPWeights(a: Img, g: Img): number[] {
  const h = a.length, w = a[0].length, c = a[0][0].length;
  const out = new Array(c).fill(0);
  for (let k = 0; k < c; k++) {
    let sumA = 0;
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) sumA += a[i][j][k];
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const gg = g[i][j][k];
        if (gg === 0) continue;
        const alpha = (gg * gg) / (2 * gg * gg + sumA * gg * gg * gg + 1e-6);
        out[k] += alpha * Math.max(0, gg);
      }
  }
  return out;
}

export function xGradCamWeights(a: Img, g: Img): number[] {
  const h = a.length, w = a[0].length, c = a[0][0].length;
  const out = new Array(c).fill(0);
  for (let k = 0; k < c; k++) {
    let sumA = 0, sumAG = 0;
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      sumA += a[i][j][k];
      sumAG += a[i][j][k] * g[i][j][k];
    }
    out[k] = sumAG / (sumA + 1e-7);
  }
  return out;
}

export function hiResMap(a: Img, g: Img): number[][] {
  return a.map((row, i) => row.map((px, j) => px.reduce((s, v, k) => s + v * g[i][j][k], 0)));
}

export function layerCamMap(a: Img, g: Img): number[][] {
  return a.map((row, i) => row.map((px, j) => px.reduce((s, v, k) => s + v * Math.max(0, g[i][j][k]), 0)));
}

/** Symmetric eigen-decomposition by cyclic Jacobi rotations; returns the top eigenvector. */
export function topEigenvector(m: number[][]): number[] {
  const n = m.length;
  const a = m.map((r) => [...r]);
  const v: number[][] = a.map((_, i) => a.map((__, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (a[i][i] > a[best][best]) best = i;
  return v.map((r) => r[best]);
}

/** Eigen-CAM: projection of the channel-centred activations on the first principal direction. */
export function eigenCamMap(a: Img): number[][] {
  const h = a.length, w = a[0].length, c = a[0][0].length;
  const rows = a.flat();
  const mean = new Array(c).fill(0);
  rows.forEach((r) => r.forEach((v, k) => (mean[k] += v / rows.length)));
  const x = rows.map((r) => r.map((v, k) => v - mean[k]));
  const gram = mean.map((_, p) => mean.map((__, q) => x.reduce((s, r) => s + r[p] * r[q], 0)));
  const v = topEigenvector(gram);
  // Sign convention (the eigenvector's sign is arbitrary): loadings sum positive.
  const sign = v.reduce((s, p) => s + p, 0) >= 0 ? 1 : -1;
  const proj = x.map((r) => r.reduce((s, val, k) => s + val * v[k], 0));
  const out: number[][] = [];
  for (let i = 0; i < h; i++) out.push(proj.slice(i * w, (i + 1) * w).map((p) => p * sign));
  return out;
}

/** Bilinear resize with half-pixel centres (cv2.resize / tf.image.resizeBilinear(…, false, true)). */
export function resizeBilinear(m: number[][], H: number, W: number): number[][] {
  const h = m.length, w = m[0].length;
  const out: number[][] = [];
  for (let y = 0; y < H; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (h / H) - 0.5, 0), h - 1);
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, h - 1), fy = sy - y0;
    const row: number[] = [];
    for (let x = 0; x < W; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (w / W) - 0.5, 0), w - 1);
      const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, w - 1), fx = sx - x0;
      const top = m[y0][x0] * (1 - fx) + m[y0][x1] * fx;
      const bottom = m[y1][x0] * (1 - fx) + m[y1][x1] * fx;
      row.push(top * (1 - fy) + bottom * fy);
    }
    out.push(row);
  }
  return out;
}

/** pytorch-grad-cam's scaling: x − min, then ÷ (max + 1e-7). */
export function scaleUnit(m: number[][]): number[][] {
  const flat = m.flat();
  const lo = Math.min(...flat);
  const hi = Math.max(...flat.map((v) => v - lo));
  return m.map((r) => r.map((v) => (v - lo) / (hi + 1e-7)));
}

export function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const z = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / z);
}

export function maxRelErr(a: number[] | number[][], b: number[] | number[][]): number {
  const fa = (a as number[][]).flat ? (a as unknown as number[]).flat(2) as number[] : (a as number[]);
  const fb = (b as unknown as number[]).flat(2) as number[];
  let scale = 1e-12, m = 0;
  for (const v of fb) scale = Math.max(scale, Math.abs(v));
  fa.forEach((v, i) => (m = Math.max(m, Math.abs(v - fb[i]))));
  return m / scale;
}

/** mulberry32 (Tommy Ettinger's public-domain PRNG), written here from its definition. */
function mulberry32Ref(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1) >>> 0;
    t = (t ^ (t + Math.imul(t ^ (t >>> 7), t | 61))) >>> 0;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * RISE masks (Petsiuk et al. 2018, Sec. 3.2) as camlab draws them: batches of `batch` masks, batch j
 * with seed + j — a binary cells×cells grid (uniform < keep, from `uniform`), bilinearly upsampled
 * to (cells+1)·⌈H/cells⌉ and cropped to H×W at shifts drawn with mulberry32(seed + j).
 */
export async function riseMasks(total: number, batch: number, H: number, W: number, cells: number, keep: number, seed: number, uniform: (shape: number[], seed: number) => Promise<number[]>): Promise<number[][][]> {
  const ch = Math.ceil(H / cells), cw = Math.ceil(W / cells);
  const out: number[][][] = [];
  for (let j = 0, b = 0; j < total; j += batch, b++) {
    const n = Math.min(batch, total - j);
    const random = mulberry32Ref(seed + b);
    const shifts = Array.from({ length: n }, () => [Math.floor(random() * ch), Math.floor(random() * cw)]);
    const u = await uniform([n, cells, cells, 1], seed + b);
    for (let m = 0; m < n; m++) {
      const grid = Array.from({ length: cells }, (_, i) => Array.from({ length: cells }, (__, k) => (u[m * cells * cells + i * cells + k] < keep ? 1 : 0)));
      const up = resizeBilinear(grid, (cells + 1) * ch, (cells + 1) * cw);
      const [dy, dx] = shifts[m];
      out.push(up.slice(dy, dy + H).map((r) => r.slice(dx, dx + W)));
    }
  }
  return out;
}

/**
 * KPCA-CAM (Karmani et al. 2024) as scikit-learn's KernelPCA(n_components=1, kernel="sigmoid")
 * on the channel-centred positions: K = tanh(γ XXᵀ + 1), γ = 1/C, centred; the top eigenvector α
 * (largest eigenvalue λ) by Jacobi; projection α·√λ, signed so its largest-magnitude entry is positive.
 */
export function kpcaMap(a: Img): number[][] {
  const h = a.length, w = a[0].length, c = a[0][0].length;
  const rows = a.flat();
  const n = rows.length;
  const mean = new Array(c).fill(0);
  rows.forEach((r) => r.forEach((v, k) => (mean[k] += v / n)));
  const x = rows.map((r) => r.map((v, k) => v - mean[k]));
  const k = x.map((p) => x.map((q) => Math.tanh(p.reduce((s, v, i) => s + v * q[i], 0) / c + 1)));
  const rowMean = k.map((r) => r.reduce((s, v) => s + v, 0) / n);
  const all = rowMean.reduce((s, v) => s + v, 0) / n;
  const kc = k.map((r, i) => r.map((v, j) => v - rowMean[i] - rowMean[j] + all)); // K symmetric: column means = row means
  const v = topEigenvector(kc);
  const lambda = v.reduce((s, vi, i) => s + vi * kc[i].reduce((t, kij, j) => t + kij * v[j], 0), 0);
  let big = 0;
  v.forEach((vi, i) => (Math.abs(vi) > Math.abs(v[big]) ? (big = i) : 0));
  const sign = v[big] >= 0 ? 1 : -1;
  const proj = v.map((vi) => vi * Math.sqrt(Math.max(lambda, 0)) * sign);
  return Array.from({ length: h }, (_, i) => proj.slice(i * w, (i + 1) * w));
}

/**
 * The lightweight CAM's weights for a "valid" stride-1 conv, optionally an affine map per channel
 * (s, t: a batch norm), then ReLU: input X [h][w][cin], kernel K [kh][kw][cin][cout]:
 * ∂(Σ_ij ReLU(s_o·z_ijo + t_o))/∂K_abco = Σ_ij [s_o·z_ijo + t_o > 0] s_o X_{i+a, j+b, c}, averaged over (a, b, c).
 */
export function kernelGradientWeights(x: Img, k: number[][][][], bias: number[], scale?: number[], shift?: number[]): number[] {
  const kh = k.length, kw = k[0].length, cin = k[0][0].length, cout = k[0][0][0].length;
  const oh = x.length - kh + 1, ow = x[0].length - kw + 1;
  const w = new Array(cout).fill(0);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++)
      for (let o = 0; o < cout; o++) {
        let z = bias[o];
        for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let c = 0; c < cin; c++) z += x[i + a][j + b][c] * k[a][b][c][o];
        // An affine map per channel after the conv (a batch norm in inference): z ← s·z + t.
        const s = scale ? scale[o] : 1;
        if (s * z + (shift ? shift[o] : 0) <= 0) continue;
        for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let c = 0; c < cin; c++) w[o] += (s * x[i + a][j + b][c]) / (kh * kw * cin);
      }
  return w;
}
