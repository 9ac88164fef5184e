// The Jupyter widget manager's plugins (@jupyter-widgets/jupyterlab-manager), as the host bundles
// them, with one fix: the manager hands a notebook or console its widget manager when the panel
// appears, keyed by the kernel's id, and throws on a panel that has no kernel yet (opened with
// "No Kernel", or reopened after its kernel was shut down); that panel then never gets a manager,
// so widgets stay blank after a kernel is started (ipywidgets issues #3970 and #3980, open with
// 5.0.16; pull request #3971 not merged). Here the manager sees each panel once it has a kernel.
import widgetManagerPlugins from "@jupyter-widgets/jupyterlab-manager";
import { Signal } from "@lumino/signaling";

const MANAGER_PLUGIN = "@jupyter-widgets/jupyterlab-manager:plugin";

/** Resolves once the panel's session has a kernel: at once, or at its first kernel change to one. */
function whenKernel(panel) {
  const context = panel.sessionContext;
  return context.ready.then(() => {
    if (context.session?.kernel) return;
    return new Promise((resolve) => {
      const onKernel = (_, { newValue }) => {
        if (!newValue) return;
        context.kernelChanged.disconnect(onKernel);
        resolve();
      };
      context.kernelChanged.connect(onKernel);
    });
  });
}

/** The part of a widget tracker the manager uses (forEach, widgetAdded), announcing panels with a kernel. */
function panelsWithKernel(tracker) {
  const added = new Signal(tracker);
  const announce = (panel, use) => whenKernel(panel).then(() => !panel.isDisposed && use(panel)).catch(() => {});
  tracker.widgetAdded.connect((_, panel) => announce(panel, (p) => added.emit(p)));
  return {
    forEach: (fn) => tracker.forEach((panel) => announce(panel, fn)),
    widgetAdded: added,
  };
}

export default widgetManagerPlugins.map((plugin) =>
  plugin.id !== MANAGER_PLUGIN
    ? plugin
    : {
        ...plugin,
        // requires: [IRenderMimeRegistry]; optional: [INotebookTracker, IConsoleTracker, ...].
        activate: (app, rendermime, notebooks, consoles, ...rest) =>
          plugin.activate(app, rendermime, notebooks && panelsWithKernel(notebooks), consoles && panelsWithKernel(consoles), ...rest),
      },
);
