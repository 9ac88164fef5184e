// Kernels camlab gives the wasm backend, written from wasm's own fast (XNNPACK) kernels:
// the backprop kernels it lacks (BACKENDS.md)
//   Conv2DBackpropFilter                 dW = conv(x, dy) with x's batch and channels swapped
//   DepthwiseConv2dNativeBackpropFilter  dW = depthwise(x, dy) with (channel, batch) folded
//   DepthwiseConv2dNativeBackpropInput   dx = depthwise(zero-upsampled dy, flipped W)
// and faster versions of ones it runs as plain loops
//   Conv2DBackpropInput                  dx = conv(dy, Wᵀ) (1×1), or conv of the upsampled dy
//   FusedBatchNorm                       y = x·s + o with per-channel s, o folded once (the stock
//                                        kernel is ~4× slower: a third of a MobileNetV2 forward)
//   BatchMatMul                          a·bᵀ and aᵀ·b as a plain a·b (XNNPACK) with the transpose
//                                        made first (bᵀ once per weight): dy·Wᵀ of a dense layer
//   AvgPoolGrad                          dx = dy / (fh·fw) spread over each window, when the windows
//                                        tile the input (a head's 7×7 pooling: 2.3 → 0.1 ms)
//   Identity                             aliases instead of copying
// Each works on TensorInfos and frees its temporaries through the backend, as tfjs kernels do.
// tfjs itself refuses gradients for dilations > 1 in these ops, so strides are the only
// spacing these kernels see; they still check and say so rather than compute nonsense.
import * as tf from "@tensorflow/tfjs";

type Info = tf.TensorInfo;
type Backend = tf.KernelBackend & { disposeData(dataId: object): boolean };
type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;

class KernelScope {
  private temps: Info[] = [];
  constructor(private readonly backend: Backend) {}
  /** Frees `t` with the other temporaries (unless it is the result). */
  adopt(t: Info): void {
    this.temps.push(t);
  }
  run(name: string, inputs: Record<string, Info>, attrs: Record<string, unknown> = {}): Info {
    const kernel = tf.getKernel(name, "wasm");
    if (kernel == null) throw new Error(`camlab: wasm kernel ${name} is missing`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as Info;
    this.temps.push(out);
    return out;
  }
  /** Frees every temporary except `result`, which is handed to the engine. */
  finish(result: Info): Info {
    for (const t of this.temps) if (t !== result) this.backend.disposeData(t.dataId);
    this.temps = [];
    return result;
  }
  fail(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps = [];
  }
}

function withScope(backend: Backend, body: (s: KernelScope) => Info): Info {
  const s = new KernelScope(backend);
  try {
    return s.finish(body(s));
  } catch (e) {
    s.fail();
    throw e;
  }
}

function requireUnitDilation(op: string, dilations: unknown): void {
  const d = dilations == null ? [1, 1] : typeof dilations === "number" ? [dilations, dilations] : (dilations as number[]);
  if (d[0] !== 1 || d[1] !== 1) {
    throw new Error(`camlab: ${op} on wasm supports dilation 1 only (got ${JSON.stringify(d)}); tfjs's own gradient has the same limit`);
  }
}

/** Pads (or, for negative amounts, crops) the two spatial axes of an NHWC tensor. */
function padSpatial(s: KernelScope, x: Info, top: number, bottom: number, left: number, right: number): Info {
  const [b, h, w, c] = x.shape;
  let y = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t0 = Math.max(0, -top), l0 = Math.max(0, -left);
    const hh = h - t0 - Math.max(0, -bottom), ww = w - l0 - Math.max(0, -right);
    y = s.run("Slice", { x: y }, { begin: [0, t0, l0, 0], size: [b, hh, ww, c] });
  }
  const pt = Math.max(0, top), pb = Math.max(0, bottom), pl = Math.max(0, left), pr = Math.max(0, right);
  if (pt + pb + pl + pr > 0) {
    y = s.run("PadV2", { x: y }, { paddings: [[0, 0], [pt, pb], [pl, pr], [0, 0]], constantValue: 0 });
  }
  return y;
}

function conv2dBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as { strides: [number, number] | number; pad: Pad; dataFormat: string; dimRoundingMode?: "floor" | "round" | "ceil"; filterShape: [number, number, number, number] };
  if (attrs.dataFormat !== "NHWC") throw new Error(`camlab: Conv2DBackpropFilter on wasm needs NHWC, got ${attrs.dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [kh, kw, ci, co] = attrs.filterShape;
  return withScope(args.backend as Backend, (s) => {
    const p = info.padInfo;
    const xp = padSpatial(s, x, p.top, p.bottom, p.left, p.right);
    // dW[a,b,i,o] = Σ_{n,y,x} xp[n, y·sh + a, x·sw + b, i] · dy[n, y, x, o]: a conv whose "batch"
    // is the input channel i, whose "channels" are the batch n and whose filter is dy dilated by the stride.
    const xt = s.run("Transpose", { x: xp }, { perm: [3, 1, 2, 0] });
    const ft = s.run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
    const full = s.run("Conv2D", { x: xt, filter: ft }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined });
    const cropped = s.run("Slice", { x: full }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
    return s.run("Transpose", { x: cropped }, { perm: [1, 2, 0, 3] });
  });
}

function depthwiseBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as { strides: [number, number] | number; dilations: [number, number] | number; pad: Pad; dimRoundingMode?: "floor" | "round" | "ceil"; filterShape: [number, number, number, number] };
  requireUnitDilation("DepthwiseConv2dNativeBackpropFilter", attrs.dilations);
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, true);
  const [kh, kw, c, m] = attrs.filterShape;
  const [n, oh, ow] = dy.shape;
  return withScope(args.backend as Backend, (s) => {
    const p = info.padInfo;
    const xp = padSpatial(s, x, p.top, p.bottom, p.left, p.right);
    const [, hp, wp] = xp.shape;
    // Fold (channel c, batch n) into one depthwise channel c·N+n so each pair is convolved alone:
    // dW[a,b,c,k] = Σ_n Σ_{y,x} xp[n, y·sh+a, x·sw+b, c] · dy[n, y, x, c·M+k].
    const xT = s.run("Transpose", { x: xp }, { perm: [1, 2, 3, 0] }); // [hp, wp, C, N]
    const xF = s.run("Reshape", { x: xT }, { shape: [1, hp, wp, c * n] });
    const dy5 = s.run("Reshape", { x: dy }, { shape: [n, oh, ow, c, m] });
    const dyT = s.run("Transpose", { x: dy5 }, { perm: [1, 2, 3, 0, 4] }); // [oh, ow, C, N, M]
    const f = s.run("Reshape", { x: dyT }, { shape: [oh, ow, c * n, m] });
    const full = s.run("DepthwiseConv2dNative", { x: xF, filter: f }, { strides: [1, 1], pad: "valid", dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined });
    const cropped = s.run("Slice", { x: full }, { begin: [0, 0, 0, 0], size: [1, kh, kw, c * n * m] });
    const split = s.run("Reshape", { x: cropped }, { shape: [kh, kw, c, n, m] });
    return s.run("Sum", { x: split }, { axis: [3], keepDims: false });
  });
}

function depthwiseBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): Info {
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as { strides: [number, number] | number; dilations: [number, number] | number; pad: Pad; dimRoundingMode?: "floor" | "round" | "ceil"; inputShape: [number, number, number, number] };
  requireUnitDilation("DepthwiseConv2dNativeBackpropInput", attrs.dilations);
  const [kh, kw, c, m] = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, [kh, kw, c, m], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, true);
  const [n, h, w] = attrs.inputShape;
  const [, oh, ow] = dy.shape;
  const sh = info.strideHeight, sw = info.strideWidth;
  return withScope(args.backend as Backend, (s) => {
    // Transposed depthwise conv: put each dy value at its stride position (zeros between),
    // then correlate with the spatially flipped filter, one channel c·M+k at a time, and sum over k.
    let up = dy;
    if (sh > 1 || sw > 1) {
      const d6 = s.run("Reshape", { x: dy }, { shape: [n, oh, 1, ow, 1, c * m] });
      const p6 = s.run("PadV2", { x: d6 }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
      up = s.run("Reshape", { x: p6 }, { shape: [n, oh * sh, ow * sw, c * m] });
    }
    const top = kh - 1 - info.padInfo.top, left = kw - 1 - info.padInfo.left;
    const bottom = h + kh - 1 - up.shape[1] - top, right = w + kw - 1 - up.shape[2] - left;
    const upPadded = padSpatial(s, up, top, bottom, left, right);
    const flipped = s.run("Reverse", { x: filter }, { dims: [0, 1] });
    const f = s.run("Reshape", { x: flipped }, { shape: [kh, kw, c * m, 1] });
    const y = s.run("DepthwiseConv2dNative", { x: upPadded, filter: f }, { strides: [1, 1], pad: "valid", dilations: [1, 1], dimRoundingMode: undefined });
    if (m === 1) return y;
    const y5 = s.run("Reshape", { x: y }, { shape: [n, h, w, c, m] });
    return s.run("Sum", { x: y5 }, { axis: [4], keepDims: false });
  });
}

// wasm's Identity copies the whole buffer. tfjs runs Identity for every tensor it saves for
// backprop (engine.clone), so recording a tape copied every activation of the forward pass
// (~35% of a MobileNetV2 Grad-CAM). tfjs tensors are immutable (Variable.assign swaps the
// dataId), so Identity may alias the data with a reference count — as the cpu backend and wasm's
// own Reshape already do.
function aliasingIdentity(args: { inputs: tf.NamedTensorInfoMap; backend: object }): Info {
  const { x } = args.inputs as { x: Info };
  const backend = args.backend as Backend & { incRef(dataId: object): void };
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

// wasm's own Conv2DBackpropInput is a plain loop (not XNNPACK): 570 of 860 ms of a MobileNetV2
// backward to the input. Rewritten on fast kernels: a 1×1 stride-1 conv's input gradient is the
// 1×1 Conv2D of dy with Wᵀ (XNNPACK's conv is 1–3.5× faster than its BatchMatMul on MobileNetV2's
// shapes here); any other is the forward Conv2D of the zero-upsampled, padded dy with the flipped
// filter whose in/out channels are swapped.
function conv2dBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }, fallback: tf.KernelFunc): Info {
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as { strides: [number, number] | number; pad: Pad; dataFormat: string; dimRoundingMode?: "floor" | "round" | "ceil"; inputShape: [number, number, number, number] };
  if (attrs.dataFormat !== "NHWC") return fallback(args as never) as Info;
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, [kh, kw, ci, co], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [n, h, w] = attrs.inputShape;
  const [, oh, ow] = dy.shape;
  const sh = info.strideHeight, sw = info.strideWidth;
  return withScope(args.backend as Backend, (s) => {
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && info.padInfo.top === 0 && info.padInfo.left === 0 && oh === h && ow === w) {
      return s.run("Conv2D", { x: dy, filter: transposedFilter(args.backend as Backend, filter) }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode: undefined });
    }
    let up = dy;
    if (sh > 1 || sw > 1) {
      const d6 = s.run("Reshape", { x: dy }, { shape: [n, oh, 1, ow, 1, co] });
      const p6 = s.run("PadV2", { x: d6 }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
      up = s.run("Reshape", { x: p6 }, { shape: [n, oh * sh, ow * sw, co] });
    }
    const top = kh - 1 - info.padInfo.top, left = kw - 1 - info.padInfo.left;
    const bottom = h + kh - 1 - up.shape[1] - top, right = w + kw - 1 - up.shape[2] - left;
    const upPadded = padSpatial(s, up, top, bottom, left, right);
    const flipped = s.run("Reverse", { x: filter }, { dims: [0, 1] });
    const swapped = s.run("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] }); // [kh, kw, co, ci]
    return s.run("Conv2D", { x: upPadded, filter: swapped }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode: undefined });
  });
}

// Each weight's transpose (a 1×1 filter's Wᵀ [1, 1, co, ci], a dense kernel's Wᵀ), made once and
// freed with the weight's data. XNNPACK packs an operator's weights once per buffer and caches
// them, so a fresh transpose per call re-packed them every time: most of the time of the 7×7
// layers' input gradients in MobileNetV2. Keyed by shape and permutation too: a reshape shares
// its source's data.
const transposes = new WeakMap<Backend, Map<object, Map<string, Info>>>();

function cachedTranspose(backend: Backend, x: Info, perm: number[]): Info {
  let cache = transposes.get(backend);
  if (cache == null) {
    const byData = new Map<object, Map<string, Info>>();
    cache = byData;
    transposes.set(backend, byData);
    const dispose = backend.disposeData.bind(backend) as (dataId: object, force?: boolean) => boolean;
    (backend as { disposeData: (dataId: object, force?: boolean) => boolean }).disposeData = (dataId, force) => {
      const freed = dispose(dataId, force);
      const made = freed ? byData.get(dataId) : undefined;
      if (made != null) {
        byData.delete(dataId);
        for (const t of made.values()) dispose(t.dataId, true);
      }
      return freed;
    };
  }
  let forData = cache.get(x.dataId);
  if (forData == null) cache.set(x.dataId, (forData = new Map()));
  const key = `${x.shape.join(",")}|${perm.join(",")}`;
  let t = forData.get(key);
  if (t == null) {
    const transpose = tf.getKernel("Transpose", "wasm")!;
    t = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as Info;
    forData.set(key, t);
  }
  return t;
}

function transposedFilter(backend: Backend, filter: Info): Info {
  return cachedTranspose(backend, filter, [0, 1, 3, 2]);
}

// A matrix product with a transposed operand: wasm runs XNNPACK only for plain a·b and a
// broadcasting loop otherwise, 15× slower for a dense layer's input gradient dy·Wᵀ (1×256 by
// 256×1280: 3.9 vs 0.26 ms here). So Wᵀ is made once per weight (cachedTranspose) and aᵀ per
// call, and the plain product runs. Batched products (batch > 1 on either side) go to the stock
// kernel as before.
/** Most values (float32) of a weight whose transpose is kept: 16 MiB. */
const CACHED_TRANSPOSE_MAX = 4 * 1024 * 1024;

function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }, fallback: tf.KernelFunc): Info {
  const { a, b } = args.inputs as { a: Info; b: Info };
  const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const single = (t: Info) => t.shape.length >= 2 && t.shape.slice(0, -2).every((d) => d === 1);
  if ((!attrs.transposeA && !attrs.transposeB) || a.dtype !== "float32" || b.dtype !== "float32" || !single(a) || !single(b)) {
    return fallback(args as never) as Info;
  }
  const backend = args.backend as Backend;
  const swapLast = (t: Info) => [...t.shape.slice(0, -2).map((_, i) => i), t.shape.length - 1, t.shape.length - 2];
  return withScope(backend, (s) => {
    const aa = attrs.transposeA ? s.run("Transpose", { x: a }, { perm: swapLast(a) }) : a;
    // A weight's copy is kept; one bigger than CACHED_TRANSPOSE_MAX (a VGG fully connected layer
    // is 400 MB) is transposed per call instead of doubling the model's memory.
    const bb = !attrs.transposeB ? b : tf.util.sizeFromShape(b.shape) <= CACHED_TRANSPOSE_MAX ? cachedTranspose(backend, b, swapLast(b)) : s.run("Transpose", { x: b }, { perm: swapLast(b) });
    return s.run("BatchMatMul", { a: aa, b: bb }, { transposeA: false, transposeB: false });
  });
}

// tf.batchNorm at inference (every BatchNormalization layer): wasm's kernel is a plain loop, 33 of
// 90 ms of a MobileNetV2 forward here. The per-channel factor s = γ/√(σ² + ε) and offset
// o = β − μ·s are folded on the host (C numbers, read from the heap without a copy), then one
// broadcast Mul and one Add run in XNNPACK — the formula PyTorch's CPU batch norm uses at
// inference. Parameters that are not per-channel vectors go to the stock kernel.
function fusedBatchNorm(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }, fallback: tf.KernelFunc): Info {
  const { x, mean, variance, offset, scale } = args.inputs as { x: Info; mean: Info; variance: Info; offset?: Info; scale?: Info };
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const c = x.shape[x.shape.length - 1];
  const perChannel = (t: Info | undefined) => t == null || (t.shape.length === 1 && t.shape[0] === c && t.dtype === "float32");
  if (x.dtype !== "float32" || x.shape.length < 2 || ![mean, variance, offset, scale].every(perChannel) || tf.util.sizeFromShape(x.shape) === 0) {
    return fallback(args as never) as Info;
  }
  const backend = args.backend as Backend & { makeOutput(shape: number[], dtype: tf.DataType): Info; typedArrayFromHeap(t: Info): Float32Array };
  return withScope(backend, (s) => {
    const factor = backend.makeOutput([c], "float32");
    const shift = backend.makeOutput([c], "float32");
    s.adopt(factor);
    s.adopt(shift);
    // Views after every allocation: growing the heap detaches earlier ones.
    const [m, v, b, g, f, o] = [mean, variance, offset, scale, factor, shift].map((t) => (t == null ? null : backend.typedArrayFromHeap(t)));
    for (let i = 0; i < c; i++) {
      const k = (g == null ? 1 : g[i]) / Math.sqrt(v![i] + eps);
      f![i] = k;
      o![i] = (b == null ? 0 : b[i]) - m![i] * k;
    }
    const scaled = s.run("Multiply", { a: x, b: factor });
    return s.run("Add", { a: scaled, b: shift });
  });
}

// AvgPoolGrad when the windows tile the input (stride = window, no padding): each input value is
// in exactly one window, so its gradient is that window's dy / (fh·fw), and the rows and columns
// past the last window get 0. wasm's stock kernel sums over every window for every input value;
// for a classifier head's 7×7 average pooling that is 2.3 ms, a fifth of a widget's class switch.
// Overlapping or padded windows go to the stock kernel.
function avgPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }, fallback: tf.KernelFunc): Info {
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const { filterSize, strides, pad } = args.attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: Pad };
  const pair = (v: number | [number, number]) => (typeof v === "number" ? [v, v] : v);
  const [fh, fw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  if (input.shape.length !== 4 || dy.shape.length !== 4 || dy.dtype !== "float32" || (pad !== "valid" && pad !== 0) || fh !== sh || fw !== sw) {
    return fallback(args as never) as Info;
  }
  const [b, h, w, c] = input.shape;
  const [db, oh, ow, dc] = dy.shape;
  if (db !== b || dc !== c || oh !== Math.floor(h / fh) || ow !== Math.floor(w / fw)) return fallback(args as never) as Info;
  const backend = args.backend as Backend & { makeOutput(shape: number[], dtype: tf.DataType): Info; typedArrayFromHeap(t: Info): Float32Array };
  const out = backend.makeOutput(input.shape, "float32");
  // Views after the allocation: growing the heap detaches earlier ones.
  const g = backend.typedArrayFromHeap(dy);
  const o = backend.typedArrayFromHeap(out);
  const k = Math.fround(1 / (fh * fw));
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      const wy = Math.floor(y / fh);
      for (let x = 0; x < w; x++) {
        const at = ((n * h + y) * w + x) * c;
        const wx = Math.floor(x / fw);
        if (wy >= oh || wx >= ow) {
          o.fill(0, at, at + c);
          continue;
        }
        const from = ((n * oh + wy) * ow + wx) * c;
        for (let ch = 0; ch < c; ch++) o[at + ch] = g[from + ch] * k;
      }
    }
  }
  return out;
}

let registered = false;

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** Puts `faster` in the place of wasm's own kernel `name`, handing it the stock kernelFunc as its fallback; false when wasm has no such kernel. */
function replaceKernel(name: string, faster: (args: KernelArgs, stock: tf.KernelFunc) => Info): boolean {
  const stock = tf.getKernel(name, "wasm");
  if (stock == null) return false;
  tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    setupFunc: stock.setupFunc,
    kernelFunc: ((a: KernelArgs) => faster(a, stock.kernelFunc)) as unknown as tf.KernelFunc,
  });
  return true;
}

/** Registers the missing backprop kernels, faster Conv2DBackpropInput, FusedBatchNorm, BatchMatMul and AvgPoolGrad, and an aliasing Identity for wasm; idempotent. */
export function registerWasmKernels(): string[] {
  if (registered) return [];
  registered = true;
  const added: string[] = [];
  const kernels: [string, tf.KernelFunc][] = [
    ["Conv2DBackpropFilter", conv2dBackpropFilter as unknown as tf.KernelFunc],
    ["DepthwiseConv2dNativeBackpropFilter", depthwiseBackpropFilter as unknown as tf.KernelFunc],
    ["DepthwiseConv2dNativeBackpropInput", depthwiseBackpropInput as unknown as tf.KernelFunc],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    if (tf.getKernel(kernelName, "wasm") != null) continue;
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
    added.push(kernelName);
  }
  // The stock kernels stay as fallbacks: the replacement gets each one's kernelFunc, and its
  // setupFunc (the wasm bindings, made at backend set-up) is kept.
  if (replaceKernel("Conv2DBackpropInput", conv2dBackpropInput)) added.push("Conv2DBackpropInput (XNNPACK-based)");
  if (replaceKernel("FusedBatchNorm", fusedBatchNorm)) added.push("FusedBatchNorm (XNNPACK-based)");
  if (replaceKernel("AvgPoolGrad", avgPoolGrad)) added.push("AvgPoolGrad (tiling windows)");
  if (replaceKernel("BatchMatMul", batchMatMul)) added.push("BatchMatMul (transposes through XNNPACK)");
  if (replaceKernel("Identity", (a, stock) => ((a.inputs.x as Info).dtype === "string" ? (stock(a as never) as Info) : aliasingIdentity(a)))) added.push("Identity (aliasing)");
  return added;
}
