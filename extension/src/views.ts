// camlab's views by kind, and mounting one into a DOM node: the snapshot at once, then the live
// check in the background. Plain DOM, no Lumino or JupyterLab: the JupyterLab renderers
// (renderer.ts) and the portable widget front end (portable/widget.ts) both mount views here.
import { ActivationBrowser } from "./activations/ActivationBrowser";
import { checkActivationsPayload, checkConfusionPayload, checkHeatmapPayload, checkLayersPayload, type Checked, pageSizeForBudget, ACTIVATIONS_MIME, CONFUSION_MIME, HEATMAP_MIME, LAYERS_MIME, type ActivationsPayload, type ConfusionPayload, type HeatmapPayload, type LayersPayload, type SessionRef, fromSnapshot, type QuantizedMap } from "./protocol";
import { ConfusionExplorer } from "./confusion/ConfusionExplorer";
import { clear } from "./dom";
import { HeatmapOverlay } from "./heatmap/HeatmapOverlay";
import { LayerBrowser } from "./layers/LayerBrowser";
import { InteractionMeter, LiveBinding, StatusNote, type LiveLink } from "./live";

/** What a view builds: its node, and what to free when the output goes. */
export interface ViewContent {
  node: HTMLElement;
  dispose?(): void;
}

export interface View<P> {
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

/** The views, by the MIME type of their payload. */
export const VIEWS: ReadonlyArray<readonly [string, View<never>]> = [
  [LAYERS_MIME, layersView as View<never>],
  [ACTIVATIONS_MIME, activationsView as View<never>],
  [HEATMAP_MIME, heatmapView as View<never>],
  [CONFUSION_MIME, confusionView as View<never>],
];

/** The view for a payload's MIME type, or undefined. */
export function viewOfMime(mime: string): View<never> | undefined {
  return VIEWS.find(([m]) => m === mime)?.[1];
}

/** A view mounted in a node; dispose() frees it and stops its live binding. */
export interface MountedView {
  dispose(): void;
}

/**
 * Empties `root` and shows `payload` with `view` in it: a status note, the snapshot at once, and
 * (in the background) the live check through `link`. A payload that fails its check shows why.
 */
export function mountView<P>(view: View<P>, payload: unknown, root: HTMLElement, link: LiveLink | null): MountedView {
  clear(root);
  const note = new StatusNote();
  root.appendChild(note.node);
  const meter = new InteractionMeter(root);
  const checked = view.check(payload);
  if (!checked.ok) {
    root.dataset.state = "error";
    note.set("error", `This camlab output cannot be shown: ${checked.reason}.`);
    return { dispose() {} };
  }
  const binding = new LiveBinding(view.session(checked.payload), link, note, root);
  let content: ViewContent;
  try {
    content = view.build(checked.payload, binding, meter);
    root.appendChild(content.node);
  } catch (e) {
    root.dataset.state = "error";
    note.set("error", `This camlab output cannot be shown: ${e instanceof Error ? e.message : String(e)}.`);
    binding.dispose();
    return { dispose() {} };
  }
  // Live check in the background: the snapshot is already on screen.
  void binding.start();
  return {
    dispose() {
      content.dispose?.();
      binding.dispose();
    },
  };
}
