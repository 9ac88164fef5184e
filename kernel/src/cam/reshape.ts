// Layers whose output is not a map [batch, h, w, channels] — a transformer's tokens [batch,
// tokens, dim], with or without a class token — get a CAM through a reshape (pytorch-grad-cam's
// reshape_transform): the activations and gradients are laid out on the patch grid, the methods
// weigh them as any map. Methods that feed modified activations back into the model (Ablation-CAM,
// FinerCAM, ShapleyCAM) also need the way back, `fromMap`.
import * as tf from "@tensorflow/tfjs";

/** How a layer's output becomes a map [batch, h, w, channels] a CAM can weigh, and back. */
export interface LayerReshape {
  /** Shown in messages ("tokenGrid(14×14, 1 class token)"). */
  readonly name: string;
  /** Optional: throws, before any kernel runs, when the layer's static output shape cannot be reshaped. */
  check?(shape: readonly (number | null)[]): void;
  /** The layer output (or its gradient) as a map [batch, h, w, channels]. */
  toMap(t: tf.Tensor): tf.Tensor4D;
  /** A map [n, h, w, channels] back to the layer's layout, taking what the map lacks (a class token) from `like`, the layer's real output [n, …]. */
  fromMap?(map: tf.Tensor4D, like: tf.Tensor): tf.Tensor;
}

/** Options of `tokenGrid()`. */
export interface TokenGridOptions {
  /** Grid height in patches (default: √ of the patch tokens). */
  height?: number;
  /** Grid width in patches (default: patch tokens / height). */
  width?: number;
  /** Tokens before the patch tokens (class token, distillation token); default: 1 if tokens − 1 is h·w, else 0. */
  prefixTokens?: number;
}

function gridOf(tokens: number, options: TokenGridOptions): { h: number; w: number; prefix: number } {
  const fits = (prefix: number) => {
    const patches = tokens - prefix;
    if (options.height != null && options.width != null) return options.height * options.width === patches;
    if (options.height != null) return patches % options.height === 0;
    if (options.width != null) return patches % options.width === 0;
    return Number.isInteger(Math.sqrt(patches));
  };
  const prefix = options.prefixTokens ?? ([0, 1].find(fits) ?? -1);
  const patches = tokens - prefix;
  if (prefix < 0 || patches <= 0 || !fits(prefix)) {
    const want = options.height != null || options.width != null ? `${options.height ?? "?"}×${options.width ?? "?"} patches` : "a square number of patches";
    throw new Error(`camlab.tokenGrid: a layer output of ${tokens} tokens does not hold ${want}${options.prefixTokens != null ? ` after ${options.prefixTokens} prefix token(s)` : " (with 0 or 1 class token)"}; pass { height, width, prefixTokens } to say how the tokens lie`);
  }
  const h = options.height ?? (options.width != null ? patches / options.width : Math.sqrt(patches));
  return { h, w: patches / h, prefix };
}

/**
 * The reshape for a token layer [batch, tokens, dim]: drops the prefix tokens (class token) and
 * lays the patch tokens out row by row on an h × w grid → [batch, h, w, dim]; back again for the
 * methods that need it, with the prefix tokens taken from the layer's real output.
 * After pytorch-grad-cam's reshape_transform for ViT (its tutorial "vision_transformers").
 *
 * @param options height/width of the grid and the number of prefix tokens (all inferred by default).
 * @returns a `LayerReshape` for `cam(model, x, { layer, reshape })`.
 * @example
 * const r = await camlab.cam(vit, x, { layer: "block_3_out", reshape: camlab.tokenGrid() }); // 197 tokens → 1 + 14×14
 */
export function tokenGrid(options: TokenGridOptions = {}): LayerReshape {
  for (const k of ["height", "width", "prefixTokens"] as const) {
    const v = options[k];
    if (v != null && (!Number.isInteger(v) || v < (k === "prefixTokens" ? 0 : 1))) throw new Error(`camlab.tokenGrid: ${k} must be ${k === "prefixTokens" ? "a whole number ≥ 0" : "a positive integer"}, got ${v}`);
  }
  const describe = () => `tokenGrid(${options.height ?? "auto"}×${options.width ?? "auto"}, ${options.prefixTokens ?? "auto"} prefix)`;
  const rank3 = (t: { shape: readonly (number | null)[] }, what: string) => {
    if (t.shape.length !== 3) throw new Error(`camlab.tokenGrid: ${what} has shape [${t.shape.map((d) => d ?? "batch").join(", ")}]; tokenGrid takes token layers [batch, tokens, dim]`);
  };
  return {
    name: describe(),
    check(shape) {
      rank3({ shape }, "the layer's output");
      if (shape[1] != null) gridOf(shape[1], options);
    },
    toMap(t) {
      rank3(t, "the layer's output");
      const [b, tokens, d] = t.shape as [number, number, number];
      const { h, w, prefix } = gridOf(tokens, options);
      return tf.tidy(() => tf.reshape(tf.slice(t, [0, prefix, 0], [b, h * w, d]), [b, h, w, d]) as tf.Tensor4D);
    },
    fromMap(map, like) {
      rank3(like, "the layer's output");
      const [n, tokens, d] = like.shape as [number, number, number];
      const { h, w, prefix } = gridOf(tokens, options);
      return tf.tidy(() => {
        const patches = tf.reshape(map, [n, h * w, d]);
        return prefix === 0 ? patches : tf.concat([tf.slice(like, [0, 0, 0], [n, prefix, d]), patches], 1);
      });
    },
  };
}
