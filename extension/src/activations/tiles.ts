// Drawing uint8-quantized maps onto canvases at their native resolution (CSS scales them up).
import { colorizeBytes, type Lut, type QuantizedMap } from "../protocol";

export function drawMap(canvas: HTMLCanvasElement, map: QuantizedMap, lut: Lut): void {
  if (canvas.width !== map.width) canvas.width = map.width;
  if (canvas.height !== map.height) canvas.height = map.height;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const img = ctx.createImageData(map.width, map.height);
  colorizeBytes(img.data, map.bytes, lut);
  ctx.putImageData(img, 0, 0);
}
