// Float64 reference computations of the evaluation metrics, written from the papers' formulas and
// sharing no code with src/metrics.

/** Solves A·x = b (dense, n×n) by Gaussian elimination with partial pivoting. */
export function denseSolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r][col]) > Math.abs(M[piv][col])) piv = r;
    [M[col], M[piv]] = [M[piv], M[col]];
    for (let r = col + 1; r < n; r++) {
      const f = M[r][col] / M[col][col];
      if (f !== 0) for (let k = col; k <= n; k++) M[r][k] -= f * M[col][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/**
 * ROAD's linear imputation of one image [h][w][c] where removed[y][x] is true (Rong et al. 2022):
 * for each removed pixel i, Σ_{n in image} w_n · (x_i − value_n) = 0 with value_n the unknown x_n
 * for removed neighbours and the pixel's value for kept ones; w = 1/6 direct, 1/12 diagonal.
 * Built as a dense system and solved directly, per channel.
 */
export function imputeReference(img: number[][][], removed: boolean[][]): number[][][] {
  const h = img.length, w = img[0].length, c = img[0][0].length;
  const unknowns: [number, number][] = [];
  const index = new Map<string, number>();
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (removed[y][x]) {
    index.set(`${y},${x}`, unknowns.length);
    unknowns.push([y, x]);
  }
  const out = img.map((row) => row.map((px) => [...px]));
  const n = unknowns.length;
  for (let ch = 0; ch < c; ch++) {
    const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const b = new Array<number>(n).fill(0);
    unknowns.forEach(([y, x], i) => {
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        if (dy === 0 && dx === 0) continue;
        const yy = y + dy, xx = x + dx;
        if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
        const wt = dy !== 0 && dx !== 0 ? 1 / 12 : 1 / 6;
        A[i][i] += wt;
        const j = index.get(`${yy},${xx}`);
        if (j === undefined) b[i] += wt * img[yy][xx][ch];
        else A[i][j] -= wt;
      }
    });
    const sol = n ? denseSolve(A, b) : [];
    unknowns.forEach(([y, x], i) => (out[y][x][ch] = sol[i]));
  }
  return out;
}

/** Average ranks (1-based; tied values share the mean of their places). */
export function ranks(v: number[]): number[] {
  const order = v.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const r = new Array<number>(v.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && order[e + 1].x === order[s].x) e++;
    for (let k = s; k <= e; k++) r[order[k].i] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return r;
}

export function pearson(a: number[], b: number[]): number {
  const n = a.length, ma = a.reduce((s, x) => s + x, 0) / n, mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

export const spearman = (a: number[], b: number[]) => pearson(ranks(a), ranks(b));

/** SSIM (Wang et al. 2004, Eq. 13) of two maps in [0, 1], Gaussian window `size` px of σ 1.5·size/11, valid windows, L = 1. */
export function ssimReference(a: number[][], b: number[][], size: number): number {
  const h = a.length, w = a[0].length, r = (size - 1) / 2, sigma = (1.5 * size) / 11;
  const g: number[][] = [];
  let total = 0;
  for (let i = 0; i < size; i++) {
    g.push([]);
    for (let j = 0; j < size; j++) {
      const v = Math.exp(-((i - r) ** 2 + (j - r) ** 2) / (2 * sigma * sigma));
      g[i].push(v);
      total += v;
    }
  }
  const C1 = 1e-4, C2 = 9e-4;
  let sum = 0, count = 0;
  for (let y = 0; y + size <= h; y++) for (let x = 0; x + size <= w; x++) {
    let ma = 0, mb = 0, aa = 0, bb = 0, ab = 0;
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
      const k = g[i][j] / total, p = a[y + i][x + j], q = b[y + i][x + j];
      ma += k * p; mb += k * q; aa += k * p * p; bb += k * q * q; ab += k * p * q;
    }
    const va = aa - ma * ma, vb = bb - mb * mb, cov = ab - ma * mb;
    sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
    count++;
  }
  return sum / count;
}

/** Gini index in Hurley & Rickard's form: 1 − 2 Σ_k (a_(k)/‖a‖₁)·(d − k + ½)/d, a sorted ascending. */
export function giniReference(values: number[]): number {
  const a = values.map(Math.abs).sort((p, q) => p - q), d = a.length, l1 = a.reduce((s, x) => s + x, 0);
  let s = 0;
  a.forEach((x, k) => (s += (x / l1) * ((d - (k + 1) + 0.5) / d)));
  return 1 - 2 * s;
}

/** Shannon entropy (nats) of |a| / Σ|a|. */
export function entropyReference(values: number[]): number {
  const a = values.map(Math.abs), z = a.reduce((s, x) => s + x, 0);
  return -a.reduce((s, x) => (x > 0 ? s + (x / z) * Math.log(x / z) : s), 0);
}
