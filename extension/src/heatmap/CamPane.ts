// One CAM over the input image on a canvas. The CAM arrives at feature-map resolution; it is
// upsampled (bilinear) once per CAM, and re-coloured / re-blended locally on every opacity or
// colormap change.
import { h } from "../dom";
import { WorkIndicator } from "../progress";
import { blendInto, prepareOverlay, type CamRange, type Lut, type PreparedOverlay, type QuantizedMap } from "../protocol";
import { ColourBar } from "./ColourBar";

/** What one pane explains: the method, the layer and the class. */
export interface CamChoice {
  method: string;
  layer: string;
  classIndex: number;
  /** Class label (text from the kernel). */
  label: string;
}

/** The picture the CAM is drawn on. */
export interface InputImage {
  width: number;
  height: number;
  /** width * height * 3 bytes */
  rgb: Uint8Array;
}

/** The part of a 2-D canvas context a pane draws with. */
export type PaneContext = Pick<CanvasRenderingContext2D, "createImageData" | "putImageData">;

/** Draws a prepared CAM onto a canvas context with the shared core's blend — the same pixels as
 *  the kernel's saved PNG (protocol/blend.ts renderOverlay) at the same colormap and opacity.
 *  `reuse` (the ImageData the last call returned, when the size is the same) is blended into in
 *  place: a pane redraws on every switch and slider move, and a fresh frame each time was garbage. */
export function paintOverlay(ctx: PaneContext, prepared: PreparedOverlay, lut: Lut, opacity: number, reuse?: ImageData): ImageData {
  const { width, height } = prepared.image;
  const img = reuse && reuse.width === width && reuse.height === height ? reuse : ctx.createImageData(width, height);
  blendInto(img.data, prepared.image.rgb, prepared.values, lut, opacity);
  ctx.putImageData(img, 0, 0);
  return img;
}

/** One CAM over the image: its selectors, canvas, progress, colour bar and caption. */
export class CamPane {
  readonly node: HTMLDivElement;
  /** The overlay's value scale (raw and scaled), in the overlay's colormap. */
  readonly colourBar = new ColourBar();
  readonly canvas: HTMLCanvasElement;
  readonly header = h("div", { cls: "camlab-pane-header" });
  private readonly caption = h("div", { cls: "camlab-caption", testid: "camlab-heatmap-caption" });
  /** Spinner, progress and Cancel while the kernel computes this pane's next CAM. */
  readonly work = new WorkIndicator();
  private prepared: PreparedOverlay | null = null;
  private frame: ImageData | undefined;
  private shownCam: QuantizedMap;
  choice: CamChoice;

  constructor(
    readonly name: "a" | "b",
    private readonly image: InputImage,
    choice: CamChoice,
    cam: QuantizedMap,
    range: CamRange | null,
  ) {
    this.choice = choice;
    this.shownCam = cam;
    this.canvas = h("canvas", { cls: "camlab-heatmap-canvas", testid: "camlab-heatmap-canvas", data: { pane: name } });
    this.canvas.width = image.width;
    this.canvas.height = image.height;
    this.node = h("div", { cls: "camlab-pane", testid: "camlab-heatmap-pane", data: { pane: name } }, [this.header, this.canvas, this.work.node, this.colourBar.node, this.caption]);
    this.work.dims(this.node);
    this.setCam(choice, cam, range);
  }

  /** Shows another CAM (`range`: its values before scaling to [0, 1], null when unknown). */
  setCam(choice: CamChoice, cam: QuantizedMap, range: CamRange | null): void {
    this.choice = choice;
    this.shownCam = cam;
    this.colourBar.setRange(range);
    this.prepared = prepareOverlay({ width: this.image.width, height: this.image.height, rgb: this.image.rgb }, cam);
    this.node.dataset.method = choice.method;
    this.node.dataset.layer = choice.layer;
    this.node.dataset.classIndex = String(choice.classIndex);
    this.caption.textContent = `${choice.method} · ${choice.layer} · class ${choice.classIndex}${choice.label ? ` (${choice.label})` : ""} · CAM ${cam.width}×${cam.height}`;
  }

  /** The CAM shown now, at feature-map resolution. */
  get cam(): QuantizedMap {
    return this.shownCam;
  }

  /** Draws the overlay and the colour bar with `lut` at `opacity`. */
  draw(lut: Lut, opacity: number): void {
    this.colourBar.draw(lut);
    const ctx = this.canvas.getContext("2d");
    if (!ctx || !this.prepared) return;
    this.frame = paintOverlay(ctx, this.prepared, lut, opacity, this.frame);
  }
}
