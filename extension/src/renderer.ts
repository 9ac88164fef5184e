// The MIME renderers. Each draws its static snapshot at once (enough without a kernel), then
// checks in the background whether the kernel still holds the display's data, and turns live
// if it does. Renderers only read data: nothing in an output is executed. The views themselves
// live in views.ts.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";
import type { LiveLink } from "./live";
import { mountView, VIEWS, type MountedView, type View } from "./views";

export class CamlabRenderer<P> extends Widget implements IRenderMime.IRenderer {
  private mounted: MountedView | null = null;

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
    this.mounted?.dispose();
    this.mounted = mountView(this.view, model.data[this.mimeType], this.node, this.link);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.mounted?.dispose();
    this.mounted = null;
    super.dispose();
  }
}

/**
 * Lower ranks win; image/png (the fallback in every bundle) has rank 90. A camlab output also
 * carries the same view as a Jupyter widget (for front ends without this extension), whose
 * renderer the widget manager registers at -10: camlab's own renderer must rank before it.
 */
export const RENDERER_RANK = -20;

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
