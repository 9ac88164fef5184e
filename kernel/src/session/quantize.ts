// uint8 quantization of maps for the wire: value = offset + scale * byte / 255.
// Min/max and the scaling run on the backend; only the bytes (and two numbers) come back.
import * as tf from "@tensorflow/tfjs";
import type { QuantHeader } from "../protocol";

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
    const [range, data] = await Promise.all([rangeT.data(), bytesT.data()]);
    return {
      header: { width, height, offset: range[0], scale: range[1] - range[0] },
      bytes: Uint8Array.from(data as Int32Array),
    };
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
    const [range, data] = await Promise.all([rangeT.data(), bytesT.data()]);
    const headers = channels.map((_, i) => ({ width, height, offset: range[2 * i], scale: range[2 * i + 1] - range[2 * i] }));
    return { headers, bytes: Uint8Array.from(data as Int32Array) };
  } finally {
    bytesT.dispose();
    rangeT.dispose();
  }
}
