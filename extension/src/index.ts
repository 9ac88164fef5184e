// camlab-extension: renderers for camlab's MIME types. Every notebook gets renderers bound to its
// own kernel (live data over the "camlab.session" comm); everywhere else (consoles, output
// views) the same renderers show the static snapshot.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import type { DocumentRegistry } from "@jupyterlab/docregistry";
import type { INotebookModel, NotebookPanel } from "@jupyterlab/notebook";
import { IRenderMimeRegistry } from "@jupyterlab/rendermime";
import type { Kernel } from "@jupyterlab/services";
import { clientFor } from "./kernelComm";
import type { LiveLink } from "./live";
import { RENDERER_RANK, rendererFactories } from "./renderer";
import { plotlyRendererFactory } from "./charts/PlotlyFigure";
import type { SessionClient } from "./session";

/** How long a freshly rendered output waits for its notebook's kernel before showing "unavailable". */
const KERNEL_WAIT_MS = 10_000;

type SessionContext = NotebookPanel["sessionContext"];

class NotebookLiveLink implements LiveLink {
  constructor(private readonly sessionContext: SessionContext) {}

  async client(): Promise<SessionClient | null> {
    const kernel = await this.kernel();
    return kernel && !kernel.isDisposed ? clientFor(kernel) : null;
  }

  private async kernel(): Promise<Kernel.IKernelConnection | null> {
    const ctx = this.sessionContext;
    const now = ctx.session?.kernel;
    if (now) return now;
    if (ctx.isDisposed) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      ctx.ready.catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, KERNEL_WAIT_MS))),
    ]);
    clearTimeout(timer);
    return ctx.isDisposed ? null : (ctx.session?.kernel ?? null);
  }
}

/** Adds live renderers to each notebook's own rendermime registry (a clone per notebook). */
class LiveRenderersForNotebooks implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel> {
  createNew(panel: NotebookPanel): void {
    const link = new NotebookLiveLink(panel.sessionContext);
    for (const f of rendererFactories(link)) panel.content.rendermime.addFactory(f, RENDERER_RANK);
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: "camlab-extension:renderers",
  description: "Layer browser, activation browser, heatmap overlay and confusion explorer for camlab outputs, live from the kernel session.",
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (app: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    for (const f of rendererFactories(null)) rendermime.addFactory(f, RENDERER_RANK);
    // Interactive charts in notebooks (metric tables and curves), unless another plotly renderer is there.
    if (!rendermime.mimeTypes.includes(plotlyRendererFactory.mimeTypes[0])) rendermime.addFactory(plotlyRendererFactory, plotlyRendererFactory.defaultRank);
    app.docRegistry.addWidgetExtension("Notebook", new LiveRenderersForNotebooks());
  },
};

export default [plugin];
