// A tiny vision transformer for teaching: patches → tokens, a class token, learned positions, two
// blocks of single-head self-attention + token MLP (pre-activation-free, residual), and a head
// that reads the class token. Small enough to train on the shapes dataset in seconds on wasm.
//
// The attention weights are a layer of their own ("block_k_attention", [batch, tokens, tokens]),
// so a forward hook reads them beside a CAM. The CAM layer of a ViT is *before* the last
// attention (pytorch-grad-cam's ViT tutorial uses blocks[-1].norm1): after it, only the class
// token reaches the head, and the patch tokens' gradients are zero.
import * as tf from "@tensorflow/tfjs";

type Kwargs = tf.serialization.ConfigDict & { name?: string; seed?: number };

/** Prepends one learned token to [batch, tokens, dim]. */
class ClassToken extends tf.layers.Layer {
  static className = "CamlabClassToken";
  private token!: tf.LayerVariable;
  constructor(private readonly config: Kwargs) {
    super(config);
  }
  build(inputShape: tf.Shape | tf.Shape[]): void {
    const dim = (inputShape as tf.Shape)[2] as number;
    this.token = this.addWeight("token", [1, 1, dim], "float32", tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.config.seed }));
    this.built = true;
  }
  computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = s as tf.Shape;
    return [shape[0], (shape[1] as number) + 1, shape[2]];
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.concat([tf.tile(this.token.read(), [x.shape[0], 1, 1]), x], 1);
    });
  }
  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.config.seed ?? null };
  }
}

/** Adds a learned position embedding [1, tokens, dim]. */
class PositionEmbedding extends tf.layers.Layer {
  static className = "CamlabPositionEmbedding";
  private positions!: tf.LayerVariable;
  constructor(private readonly config: Kwargs) {
    super(config);
  }
  build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, tokens, dim] = inputShape as number[];
    this.positions = this.addWeight("positions", [1, tokens, dim], "float32", tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.config.seed }));
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(Array.isArray(inputs) ? inputs[0] : inputs, this.positions.read()));
  }
  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.config.seed ?? null };
  }
}

/** Single-head attention weights softmax(Q·Kᵀ/√d), Q = X·W_q, K = X·W_k: [batch, tokens, tokens]. */
class AttentionWeights extends tf.layers.Layer {
  static className = "CamlabAttentionWeights";
  private wq!: tf.LayerVariable;
  private wk!: tf.LayerVariable;
  constructor(private readonly config: Kwargs & { keyDim: number }) {
    super(config);
  }
  build(inputShape: tf.Shape | tf.Shape[]): void {
    const dim = (inputShape as tf.Shape)[2] as number;
    const init = (k: number) => tf.initializers.glorotUniform({ seed: (this.config.seed ?? 1) + k });
    this.wq = this.addWeight("query", [dim, this.config.keyDim], "float32", init(0));
    this.wk = this.addWeight("key", [dim, this.config.keyDim], "float32", init(1));
    this.built = true;
  }
  computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = s as tf.Shape;
    return [shape[0], shape[1], shape[1]];
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [b, t, d] = x.shape;
      const flat = tf.reshape(x, [b * t, d]);
      const q = tf.reshape(tf.matMul(flat, this.wq.read()), [b, t, this.config.keyDim]);
      const k = tf.reshape(tf.matMul(flat, this.wk.read()), [b, t, this.config.keyDim]);
      return tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(this.config.keyDim)));
    });
  }
  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), keyDim: this.config.keyDim, seed: this.config.seed ?? null };
  }
}

/** [weights [b, t, t], values [b, t, d]] → weights · values. */
class ApplyAttention extends tf.layers.Layer {
  static className = "CamlabApplyAttention";
  computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return (s as tf.Shape[])[1];
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [w, v] = inputs as tf.Tensor[];
    return tf.matMul(w as tf.Tensor3D, v as tf.Tensor3D);
  }
}

/** The class token's row of [batch, tokens, dim] → [batch, dim]. */
class ClassTokenReadout extends tf.layers.Layer {
  static className = "CamlabClassTokenReadout";
  computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = s as tf.Shape;
    return [shape[0], shape[2]];
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return tf.squeeze(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [1]);
  }
}

for (const c of [ClassToken, PositionEmbedding, AttentionWeights, ApplyAttention, ClassTokenReadout]) tf.serialization.registerClass(c);

/** Options of `buildTinyVit()`. */
export interface TinyVitOptions {
  /** Image side in pixels (default 32). */
  size?: number;
  /** Patch side in pixels (default 4: a 32×32 image is 8×8 = 64 patch tokens, plus the class token). */
  patch?: number;
  /** Token width (default 24). */
  dim?: number;
  /** Attention blocks (default 2). */
  blocks?: number;
  classes?: number;
  seed?: number;
}

/**
 * A tiny vision transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words",
 * https://arxiv.org/abs/2010.11929), for teaching CAMs on token layers: layers "patch_embed" →
 * "tokens" → "cls_token" → "positions" → per block k: "block_k_attention" (the attention weights,
 * [batch, tokens, tokens]), "block_k_attend", "block_k_mixed" (residual), "block_k_mlp",
 * "block_k" (residual; [batch, 1 + patches, dim]) → "readout" (class token) → "logits".
 * Explain `block_{blocks-1}` (the input of the last attention) with `reshape: tokenGrid()`.
 *
 * @example
 * const vit = camlab.buildTinyVit({ seed: 1 });
 * await camlab.trainClassifier(vit, shapes.images, shapes.labels, { epochs: 20, learningRate: 0.003 });
 * const r = await camlab.cam(vit, x, { layer: "block_1", reshape: camlab.tokenGrid() });
 */
export function buildTinyVit(options: TinyVitOptions = {}): tf.LayersModel {
  const size = options.size ?? 32, patch = options.patch ?? 4, dim = options.dim ?? 24, blocks = options.blocks ?? 2;
  const classes = options.classes ?? 3, seed = options.seed ?? 1;
  if (!Number.isInteger(size / patch) || size % patch !== 0) throw new Error(`camlab.buildTinyVit: size ${size} must be a multiple of patch ${patch}`);
  if (!Number.isInteger(blocks) || blocks < 1) throw new Error(`camlab.buildTinyVit: blocks must be a positive integer, got ${blocks}`);
  const grid = size / patch;
  const dense = (units: number, name: string, s: number, activation?: "relu") =>
    tf.layers.dense({ units, name, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: s }) });
  const input = tf.input({ shape: [size, size, 3], name: "image" });
  // A small convolutional stem before the patches: on a few hundred images a plain ViT does not
  // learn (measured: chance accuracy on the shapes after 30 epochs); early convolutions give it the
  // locality it otherwise has to learn from data (Xiao et al. 2021, arXiv:2106.14881).
  const stem = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: "same", activation: "relu", name: "stem", kernelInitializer: tf.initializers.heNormal({ seed: seed + 5 }) }).apply(input) as tf.SymbolicTensor;
  let t = tf.layers.conv2d({ filters: dim, kernelSize: patch, strides: patch, name: "patch_embed", kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(stem) as tf.SymbolicTensor;
  t = tf.layers.reshape({ targetShape: [grid * grid, dim], name: "tokens" }).apply(t) as tf.SymbolicTensor;
  t = new ClassToken({ name: "cls_token", seed: seed + 1 }).apply(t) as tf.SymbolicTensor;
  t = new PositionEmbedding({ name: "positions", seed: seed + 2 }).apply(t) as tf.SymbolicTensor;
  for (let k = 0; k < blocks; k++) {
    const s = seed + 10 * (k + 1);
    const weights = new AttentionWeights({ name: `block_${k}_attention`, keyDim: dim, seed: s }).apply(t) as tf.SymbolicTensor;
    const values = dense(dim, `block_${k}_values`, s + 2).apply(t) as tf.SymbolicTensor;
    const attended = new ApplyAttention({ name: `block_${k}_attend` }).apply([weights, values]) as tf.SymbolicTensor;
    const mixed = tf.layers.add({ name: `block_${k}_mixed` }).apply([t, attended]) as tf.SymbolicTensor;
    const hidden = dense(2 * dim, `block_${k}_mlp`, s + 3, "relu").apply(mixed) as tf.SymbolicTensor;
    const back = dense(dim, `block_${k}_mlp_out`, s + 4).apply(hidden) as tf.SymbolicTensor;
    t = tf.layers.add({ name: `block_${k}` }).apply([mixed, back]) as tf.SymbolicTensor;
  }
  const cls = new ClassTokenReadout({ name: "readout" }).apply(t) as tf.SymbolicTensor;
  const logits = dense(classes, "logits", seed + 99).apply(cls) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: "tiny_vit" });
}
