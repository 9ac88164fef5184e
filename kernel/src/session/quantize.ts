// uint8 quantization of maps for the wire: value = offset + scale * byte / 255.
// Min/max and the scaling run on the backend; only the bytes (packed 3 per int32) and the ranges come back.
import * as tf from "@tensorflow/tfjs";
import type { QuantHeader } from "../protocol";

/**
 * Reads an int32 tensor of byte values (0–255) to the host as bytes. tfjs has no uint8 dtype, so
 * three bytes are packed into each int32 on the backend (b0 + 256·b1 + 65536·b2 < 2^24, exact):
 * the transfer is 4/3 of the bytes instead of 4×. Disposes nothing.
 */
export async function readBytes(values: tf.Tensor): Promise<Uint8Array> {
  const n = values.size;
  const packed = tf.tidy(() => {
    const flat = tf.reshape(values, [-1]);
    const padded = n % 3 === 0 ? flat : tf.concat([flat, tf.zeros([3 - (n % 3)], "int32")]);
    return tf.sum(tf.mul(tf.reshape(padded, [-1, 3]), tf.tensor1d([1, 256, 65536], "int32")), 1);
  });
  try {
    const words = (await packed.data()) as Int32Array;
    const out = new Uint8Array(n);
    for (let i = 0, j = 0; j < n; i++) {
      const w = words[i];
      out[j++] = w & 255;
      if (j < n) out[j++] = (w >> 8) & 255;
      if (j < n) out[j++] = (w >> 16) & 255;
    }
    return out;
  } finally {
    packed.dispose();
  }
}

/** A map quantised on the backend: its header (size, scale, offset) and its uint8 bytes. */
export interface Quantized {
  header: QuantHeader;
  bytes: Uint8Array;
}

/**
 * Quantizes a [h, w] map. One device→host read for the bytes and one for min/max.
 * Does not dispose `map`.
 */
export async function quantizeMap(map: tf.Tensor2D): Promise<Quantized> {
  const [height, width] = map.shape;
  const { bytesT, rangeT } = tf.tidy(() => {
    const lo = map.min();
    const hi = map.max();
    const span = tf.maximum(hi.sub(lo), tf.scalar(1e-12));
    const bytes = map.sub(lo).div(span).mul(255).round().clipByValue(0, 255).toInt();
    return { bytesT: bytes, rangeT: tf.stack([lo, hi]) };
  });
  try {
    const [range, bytes] = await Promise.all([rangeT.data(), readBytes(bytesT)]);
    return { header: { width, height, offset: range[0], scale: range[1] - range[0] }, bytes };
  } finally {
    bytesT.dispose();
    rangeT.dispose();
  }
}

/**
 * Quantizes each channel of an [h, w, c] activation separately (each tile its own scale), for the
 * channels listed. One read for all bytes, one for all ranges.
 */
export async function quantizeChannels(act: tf.Tensor3D, channels: number[]): Promise<{ headers: QuantHeader[]; bytes: Uint8Array }> {
  const [height, width] = act.shape;
  if (channels.length === 0) return { headers: [], bytes: new Uint8Array(0) };
  const { bytesT, rangeT } = tf.tidy(() => {
    const picked = tf.gather(act, tf.tensor1d(channels, "int32"), 2).transpose([2, 0, 1]).reshape([channels.length, height * width]);
    const lo = picked.min(1, true);
    const hi = picked.max(1, true);
    const span = tf.maximum(hi.sub(lo), tf.scalar(1e-12));
    const bytes = picked.sub(lo).div(span).mul(255).round().clipByValue(0, 255).toInt();
    return { bytesT: bytes, rangeT: tf.concat([lo, hi], 1) };
  });
  try {
    const [range, bytes] = await Promise.all([rangeT.data(), readBytes(bytesT)]);
    const headers = channels.map((_, i) => ({ width, height, offset: range[2 * i], scale: range[2 * i + 1] - range[2 * i] }));
    return { headers, bytes };
  } finally {
    bytesT.dispose();
    rangeT.dispose();
  }
}
