// Image decoding without tfjs-node: PNG (pngjs) and JPEG (jpeg-js), from a file or a buffer, to
// an int32 tensor [h, w, 3] (or 4 with alpha kept), values 0–255.
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import * as jpeg from "jpeg-js";
import { ensureBackend } from "../engine/backend";

/** Options of loadImage: the size to resize to and the value range. */
export interface LoadImageOptions {
  /** Resize to [height, width] (bilinear, half-pixel centres). */
  size?: [number, number];
  /** Keep the alpha channel (PNG); default false → RGB. */
  alpha?: boolean;
}

function kind(bytes: Uint8Array): "png" | "jpeg" | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return null;
}

/** Decodes PNG/JPEG bytes to RGBA pixels. */
export function decodeImage(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const k = kind(bytes);
  if (k === "png") {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  }
  if (k === "jpeg") {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { width: img.width, height: img.height, rgba: img.data as Uint8Array };
  }
  throw new Error("camlab.loadImage: the data is neither PNG nor JPEG (checked the file signature)");
}

/** Image from a file path or PNG/JPEG bytes → int32 tensor [h, w, 3] (or 4 with alpha), values 0–255. */
export async function loadImage(source: string | Uint8Array | ArrayBuffer, options: LoadImageOptions = {}): Promise<tf.Tensor3D> {
  await ensureBackend(); // the image must live on the backend the model runs on, not on tfjs's default cpu
  let bytes: Uint8Array;
  if (typeof source === "string") {
    try {
      bytes = await fs.promises.readFile(source);
    } catch (e) {
      throw new Error(`camlab.loadImage: cannot read ${source}: ${(e as Error).message}`);
    }
  } else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (source instanceof Uint8Array) bytes = source;
  else throw new TypeError(`camlab.loadImage: expected a file path, Buffer/Uint8Array or ArrayBuffer, got ${typeof source}`);
  const { width, height, rgba } = decodeImage(bytes);
  const channels = options.alpha ? 4 : 3;
  const pixels = new Int32Array(width * height * channels);
  for (let i = 0, j = 0; i < width * height; i++) {
    for (let c = 0; c < channels; c++) pixels[j++] = rgba[4 * i + c];
  }
  const t = tf.tensor3d(pixels, [height, width, channels], "int32");
  if (options.size == null) return t;
  const [h, w] = options.size;
  if (!(h > 0 && w > 0)) {
    t.dispose();
    throw new Error(`camlab.loadImage: size must be [height, width] with positive numbers, got ${JSON.stringify(options.size)}`);
  }
  // Rounded back to int32 so an image has one dtype whether resized or not.
  const resized = tf.tidy(() => tf.cast(tf.round(tf.image.resizeBilinear(tf.cast(t, "float32") as tf.Tensor3D, [h, w], false, true)), "int32") as tf.Tensor3D);
  t.dispose();
  return resized;
}

/** Bundled photos (see assets/images/LICENSE.md). */
export function assetPath(name: "chelsea.png"): string {
  return require("path").join(__dirname, "..", "..", "..", "assets", "images", name);
}
