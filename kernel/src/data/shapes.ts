// A procedurally generated shapes dataset: one object (circle, square or triangle) per image at
// a known position, on a noisy background (optionally with a distracting stroke). Its masks and boxes are the
// ground truth for localisation metrics such as the pointing game.
import * as tf from "@tensorflow/tfjs";
import { throwIfCancelled } from "../engine/work";
import { seededRandom, type Rng } from "./random";

/** The classes of the synthetic shapes dataset, in label order. */
export const SHAPE_CLASSES = ["circle", "square", "triangle"] as const;
/** One of SHAPE_CLASSES. */
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/** Options of makeShapes: image size, count, seed and clutter. */
export interface ShapesOptions {
  count: number;
  /** Image side in pixels (default 32). */
  size?: number;
  seed?: number;
  /** Object radius range in pixels (default [size/8, size/4]). */
  radius?: [number, number];
  /** Standard deviation of the background noise (default 0.08). */
  noise?: number;
  /** Draw a straight stroke in the object's colour across each image (harder; default false). */
  distractor?: boolean;
}

/** Where a shape was drawn: its bounding box in pixels (for the pointing game). */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The shapes dataset: images, one-hot labels, class indices and each shape's box. */
export interface ShapesDataset {
  /** [n, size, size, 3], values 0–1. */
  images: tf.Tensor4D;
  /** Class per image, [n] int32 (index into classNames). */
  labels: tf.Tensor1D;
  /** Object mask per image, [n, size, size], 1 inside the object. */
  masks: tf.Tensor3D;
  /** Host copies: class per image, bounding box and centre per image. */
  classes: number[];
  boxes: Box[];
  centres: { x: number; y: number }[];
  classNames: readonly string[];
  dispose(): void;
}

function inside(kind: ShapeClass, px: number, py: number, cx: number, cy: number, r: number): boolean {
  const dx = px - cx, dy = py - cy;
  if (kind === "circle") return dx * dx + dy * dy <= r * r;
  if (kind === "square") return Math.abs(dx) <= r * 0.85 && Math.abs(dy) <= r * 0.85;
  // Upward triangle with apex at (cx, cy − r) and base at y = cy + r.
  if (dy < -r || dy > r) return false;
  const halfWidth = ((dy + r) / (2 * r)) * r;
  return Math.abs(dx) <= halfWidth;
}

function gaussian(rng: Rng): number {
  const u = Math.max(rng(), 1e-12), v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Generates the dataset deterministically from `seed` (balanced classes, random order). */
export function makeShapes(options: ShapesOptions): ShapesDataset {
  const n = options.count, size = options.size ?? 32;
  if (!Number.isInteger(n) || n < 1) throw new Error(`camlab.makeShapes: count must be a positive integer, got ${n}`);
  if (!Number.isInteger(size) || size < 12) throw new Error(`camlab.makeShapes: size must be an integer ≥ 12, got ${size}`);
  const [rMin, rMax] = options.radius ?? [size / 8, size / 4];
  if (!(rMin > 0 && rMax >= rMin && rMax < size / 2)) throw new Error(`camlab.makeShapes: radius must be [min, max] with 0 < min ≤ max < size/2, got ${JSON.stringify(options.radius)}`);
  const noise = options.noise ?? 0.08;
  const distractor = options.distractor ?? false;
  const rng = seededRandom(options.seed ?? 1);
  const pixels = new Float32Array(n * size * size * 3);
  const maskData = new Float32Array(n * size * size);
  const classes: number[] = [], boxes: Box[] = [], centres: { x: number; y: number }[] = [];
  for (let i = 0; i < n; i++) {
    // Synchronous: an interrupt can only land before the call, yet a cancelled cell must not start it.
    if (i % 256 === 0) throwIfCancelled(`makeShapes (${i} of ${n} images made)`);
    const cls = i % SHAPE_CLASSES.length;
    const kind = SHAPE_CLASSES[cls];
    const r = rMin + rng() * (rMax - rMin);
    const cx = r + 1 + rng() * (size - 2 * r - 2), cy = r + 1 + rng() * (size - 2 * r - 2);
    const bg = [0.2 + 0.3 * rng(), 0.2 + 0.3 * rng(), 0.2 + 0.3 * rng()];
    const fg = bg.map((b) => Math.min(1, b + 0.35 + 0.3 * rng()));
    // Optional distracting stroke in the object's colour, so "find the bright pixels" is not enough.
    const angle = rng() * Math.PI, ox = rng() * size, oy = rng() * size;
    let minX = size, minY = size, maxX = -1, maxY = -1;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = (i * size * size + y * size + x) * 3;
        const isObject = inside(kind, x + 0.5, y + 0.5, cx, cy, r);
        const distToStroke = Math.abs((x - ox) * Math.sin(angle) - (y - oy) * Math.cos(angle));
        const isStroke = distractor && !isObject && distToStroke < 0.6;
        for (let c = 0; c < 3; c++) {
          const base = isObject ? fg[c] : isStroke ? fg[c] * 0.9 : bg[c];
          pixels[p + c] = Math.min(1, Math.max(0, base + noise * gaussian(rng)));
        }
        if (isObject) {
          maskData[i * size * size + y * size + x] = 1;
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
          minY = Math.min(minY, y);
          maxY = Math.max(maxY, y);
        }
      }
    }
    classes.push(cls);
    boxes.push({ x0: minX, y0: minY, x1: maxX, y1: maxY });
    centres.push({ x: cx, y: cy });
  }
  // Shuffle image order (classes were assigned round-robin for balance).
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const px2 = new Float32Array(pixels.length), mk2 = new Float32Array(maskData.length);
  const per = size * size;
  order.forEach((src, dst) => {
    px2.set(pixels.subarray(src * per * 3, (src + 1) * per * 3), dst * per * 3);
    mk2.set(maskData.subarray(src * per, (src + 1) * per), dst * per);
  });
  const images = tf.tensor4d(px2, [n, size, size, 3]);
  const labels = tf.tensor1d(order.map((k) => classes[k]), "int32");
  const masks = tf.tensor3d(mk2, [n, size, size]);
  return {
    images,
    labels,
    masks,
    classes: order.map((k) => classes[k]),
    boxes: order.map((k) => boxes[k]),
    centres: order.map((k) => centres[k]),
    classNames: SHAPE_CLASSES,
    dispose: () => {
      images.dispose();
      labels.dispose();
      masks.dispose();
    },
  };
}
