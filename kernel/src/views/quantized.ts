// Conversions between the session's quantized maps (uint8 + scale/offset) and what snapshots
// and PNG fallbacks need.
import type { QuantizedImage } from "../protocol";
import type { Quantized } from "../session/quantize";

export function toQuantizedImage(q: Quantized, bytes = q.bytes): QuantizedImage {
  return { ...q.header, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64") };
}

/** Real values of a quantized map: offset + scale * byte / 255. */
export function dequantize(q: { scale: number; offset: number }, bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = q.offset + (q.scale * bytes[i]) / 255;
  return out;
}
