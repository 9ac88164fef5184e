// One CAM over the input image on a canvas. The CAM arrives at feature-map resolution; it is
// upsampled (bilinear) once per CAM, and re-coloured / re-blended locally on every opacity or
// colormap change.
import { blendInto } from "../blend";
import type { Lut } from "../colormaps";
import { h } from "../dom";
import { WorkIndicator } from "../progress";
import { dequantize, type QuantizedMap } from "../quantized";
import { upsampleBilinear } from "../upsample";

export interface CamChoice {
  method: string;
  layer: string;
  classIndex: number;
  /** Class label (text from the kernel). */
  label: string;
}

export interface InputImage {
  width: number;
  height: number;
  /** width * height * 3 bytes */
  rgb: Uint8Array;
}

export function camAtImageSize(cam: QuantizedMap, width: number, height: number): Float32Array {
  return upsampleBilinear({ width: cam.width, height: cam.height, values: dequantize(cam) }, width, height).values;
}

export class CamPane {
  readonly node: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  readonly header = h("div", { cls: "camlab-pane-header" });
  private readonly caption = h("div", { cls: "camlab-caption", testid: "camlab-heatmap-caption" });
  /** Spinner, progress and Cancel while the kernel computes this pane's next CAM. */
  readonly work = new WorkIndicator();
  private values: Float32Array | null = null;
  choice: CamChoice;

  constructor(
    readonly name: "a" | "b",
    private readonly image: InputImage,
    choice: CamChoice,
    cam: QuantizedMap,
  ) {
    this.choice = choice;
    this.canvas = h("canvas", { cls: "camlab-heatmap-canvas", testid: "camlab-heatmap-canvas", data: { pane: name } });
    this.canvas.width = image.width;
    this.canvas.height = image.height;
    this.node = h("div", { cls: "camlab-pane", testid: "camlab-heatmap-pane", data: { pane: name } }, [this.header, this.canvas, this.work.node, this.caption]);
    this.setCam(choice, cam);
  }

  setCam(choice: CamChoice, cam: QuantizedMap): void {
    this.choice = choice;
    this.values = camAtImageSize(cam, this.image.width, this.image.height);
    this.node.dataset.method = choice.method;
    this.node.dataset.layer = choice.layer;
    this.node.dataset.classIndex = String(choice.classIndex);
    this.caption.textContent = `${choice.method} · ${choice.layer} · class ${choice.classIndex}${choice.label ? ` (${choice.label})` : ""} · CAM ${cam.width}×${cam.height}`;
  }

  draw(lut: Lut, opacity: number): void {
    const ctx = this.canvas.getContext("2d");
    if (!ctx || !this.values) return;
    const img = ctx.createImageData(this.image.width, this.image.height);
    blendInto(img.data, this.image.rgb, this.values, lut, opacity);
    ctx.putImageData(img, 0, 0);
  }
}
