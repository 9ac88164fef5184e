// uint8-quantized maps as the kernel sends them: real value = offset + scale * byte / 255.
// Snapshots carry the bytes as base64; live replies carry them in binary comm buffers. No Buffer
// here: atob/btoa exist in browsers and in Node >= 16, so the kernel encodes what the widget decodes.
import type { QuantizedImage } from "./mime";
import type { QuantHeader } from "./ops";

/** A decoded quantized map: header and its bytes. */
export interface QuantizedMap {
  width: number;
  height: number;
  scale: number;
  offset: number;
  /** width * height bytes, row-major. */
  bytes: Uint8Array;
}

/** Encodes bytes as standard base64 (RFC 4648, padded). */
export function encodeBase64(bytes: Uint8Array): string {
  // String.fromCharCode over chunks: one call per byte would be slow, one call for all would
  // overflow the argument limit on large images.
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The JSON snapshot form of a quantized map (bytes as base64). */
export function toSnapshot(header: QuantHeader, bytes: Uint8Array): QuantizedImage {
  return { width: header.width, height: header.height, scale: header.scale, offset: header.offset, data: encodeBase64(bytes) };
}

/** Decodes standard base64 (RFC 4648, with or without padding) into bytes. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function checkHeader(h: QuantHeader, what: string): void {
  if (!Number.isInteger(h.width) || !Number.isInteger(h.height) || h.width < 1 || h.height < 1) {
    throw new Error(`${what}: width and height must be positive integers, got ${h.width}x${h.height}`);
  }
  if (!Number.isFinite(h.scale) || !Number.isFinite(h.offset)) {
    throw new Error(`${what}: scale and offset must be finite numbers, got scale=${h.scale}, offset=${h.offset}`);
  }
}

/** A map from a JSON snapshot (base64 bytes). */
export function fromSnapshot(image: QuantizedImage, what = "quantized image"): QuantizedMap {
  checkHeader(image, what);
  const bytes = decodeBase64(image.data);
  const expected = image.width * image.height;
  if (bytes.length !== expected) {
    throw new Error(`${what}: ${image.width}x${image.height} needs ${expected} bytes, the data holds ${bytes.length}`);
  }
  return { width: image.width, height: image.height, scale: image.scale, offset: image.offset, bytes };
}

/** A map from a reply header and its slice of a binary buffer (copied, so the buffer can go). */
export function fromBuffer(header: QuantHeader, buffer: Uint8Array, byteOffset = 0, what = "quantized buffer"): QuantizedMap {
  checkHeader(header, what);
  const n = header.width * header.height;
  if (byteOffset < 0 || byteOffset + n > buffer.length) {
    throw new Error(`${what}: needs bytes [${byteOffset}, ${byteOffset + n}) but the buffer holds ${buffer.length}`);
  }
  return {
    width: header.width,
    height: header.height,
    scale: header.scale,
    offset: header.offset,
    bytes: buffer.slice(byteOffset, byteOffset + n),
  };
}

/** The real value of one byte. */
export function byteValue(map: Pick<QuantizedMap, "scale" | "offset">, byte: number): number {
  return map.offset + (map.scale * byte) / 255;
}

/** The real value at pixel (x, y). */
export function valueAt(map: QuantizedMap, x: number, y: number): number {
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= map.width || y >= map.height) {
    throw new RangeError(`pixel (${x}, ${y}) is outside the ${map.width}x${map.height} map`);
  }
  return byteValue(map, map.bytes[y * map.width + x]);
}

/** All real values, row-major. */
export function dequantize(map: QuantizedMap): Float32Array {
  const out = new Float32Array(map.bytes.length);
  const k = map.scale / 255;
  for (let i = 0; i < out.length; i++) out[i] = map.offset + k * map.bytes[i];
  return out;
}
