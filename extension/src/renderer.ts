// The MIME renderers. Each draws its static snapshot at once (enough without a kernel), then
// checks in the background whether the kernel still holds the display's data, and turns live
// if it does. Renderers only read data: nothing in an output is executed.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";
import { ActivationBrowser } from "./activations/ActivationBrowser";
import { checkActivationsPayload, checkConfusionPayload, checkHeatmapPayload, checkLayersPayload, type Checked, pageSizeForBudget, ACTIVATIONS_MIME, CONFUSION_MIME, HEATMAP_MIME, LAYERS_MIME, type ActivationsPayload, type ConfusionPayload, type HeatmapPayload, type LayersPayload, type SessionRef, fromSnapshot, type QuantizedMap } from "./protocol";
import { ConfusionExplorer } from "./confusion/ConfusionExplorer";
import { clear } from "./dom";
import { HeatmapOverlay } from "./heatmap/HeatmapOverlay";
import { LayerBrowser } from "./layers/LayerBrowser";
import { InteractionMeter, LiveBinding, StatusNote, type LiveLink } from "./live";

/** What a view builds: its node, and what to free when the output goes. */
interface ViewContent {
  node: HTMLElement;
  dispose?(): void;
}

interface View<P> {
  kind: string;
  check(x: unknown): Checked<P>;
  session(p: P): SessionRef | null;
  build(p: P, binding: LiveBinding, meter: InteractionMeter): ViewContent;
}

const layersView: View<LayersPayload> = {
  kind: "layers",
  check: checkLayersPayload,
  session: (p) => p.session,
  build: (p, binding, meter) => new LayerBrowser(p, binding, meter),
};

const activationsView: View<ActivationsPayload> = {
  kind: "activations",
  check: checkActivationsPayload,
  session: (p) => p.session,
  build: (p, binding, meter) => {
    const tiles = new Map<number, QuantizedMap>();
    p.tiles.forEach((t, i) => tiles.set(p.tileChannels[i], fromSnapshot(t, `tile of channel ${p.tileChannels[i]}`)));
    const browser = new ActivationBrowser(
      {
        layer: p.layer,
        shape: p.shape,
        summaries: p.channels,
        tiles,
        // Pages fetched later stay within the per-page byte budget even if the snapshot's page was larger.
        pageSize: Math.min(p.pageSize, pageSizeForBudget(p.shape[0], p.shape[1])),
        histogram: p.histogram.counts.length ? p.histogram : null,
      },
      binding,
      meter,
    );
    browser.renderInitial();
    return browser;
  },
};

const heatmapView: View<HeatmapPayload> = {
  kind: "heatmap",
  check: checkHeatmapPayload,
  session: (p) => p.session,
  build: (p, binding, meter) => new HeatmapOverlay(p, binding, meter),
};

const confusionView: View<ConfusionPayload> = {
  kind: "confusion",
  check: checkConfusionPayload,
  session: (p) => p.session,
  build: (p, binding, meter) => new ConfusionExplorer(p, binding, meter),
};

export class CamlabRenderer<P> extends Widget implements IRenderMime.IRenderer {
  private content: ViewContent | null = null;
  private binding: LiveBinding | null = null;

  constructor(
    private readonly mimeType: string,
    private readonly view: View<P>,
    private readonly link: LiveLink | null,
  ) {
    super();
    this.addClass("camlab-widget");
    this.addClass(`camlab-${view.kind}`);
    this.node.dataset.testid = `camlab-${view.kind}`;
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.content?.dispose?.();
    this.content = null;
    this.binding?.dispose();
    this.binding = null;
    clear(this.node);
    const note = new StatusNote();
    this.node.appendChild(note.node);
    const meter = new InteractionMeter(this.node);
    const checked = this.view.check(model.data[this.mimeType]);
    if (!checked.ok) {
      this.node.dataset.state = "error";
      note.set("error", `This camlab output cannot be shown: ${checked.reason}.`);
      return;
    }
    const binding = new LiveBinding(this.view.session(checked.payload), this.link, note, this.node);
    this.binding = binding;
    try {
      const content = this.view.build(checked.payload, binding, meter);
      this.content = content;
      this.node.appendChild(content.node);
    } catch (e) {
      this.node.dataset.state = "error";
      note.set("error", `This camlab output cannot be shown: ${e instanceof Error ? e.message : String(e)}.`);
      return;
    }
    // Live check in the background: the snapshot is already on screen.
    void binding.start();
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.content?.dispose?.();
    this.content = null;
    this.binding?.dispose();
    this.binding = null;
    super.dispose();
  }
}

/** Lower ranks win; image/png (the fallback in every bundle) has rank 90. */
export const RENDERER_RANK = 20;

const VIEWS: ReadonlyArray<readonly [string, View<never>]> = [
  [LAYERS_MIME, layersView as View<never>],
  [ACTIVATIONS_MIME, activationsView as View<never>],
  [HEATMAP_MIME, heatmapView as View<never>],
  [CONFUSION_MIME, confusionView as View<never>],
];

export const MIME_TYPES: readonly string[] = VIEWS.map(([m]) => m);

/** One renderer factory per MIME type; `link` finds the live session (null: snapshots only). */
export function rendererFactories(link: LiveLink | null): IRenderMime.IRendererFactory[] {
  return VIEWS.map(([mime, view]) => ({
    // Safe: the renderers treat every payload as data and run nothing from it.
    safe: true,
    mimeTypes: [mime],
    defaultRank: RENDERER_RANK,
    createRenderer: (options: IRenderMime.IRendererOptions) => new CamlabRenderer(options.mimeType, view, link),
  }));
}
