// The front end of camlab's portable views: an anywidget ES module (`export default { render }`)
// that mounts the same view the JupyterLab extension shows, from the widget's `mime` and `payload`
// attributes, live through the widget's own messages. The kernel sends this file, bundled, as the
// widget's `_esm` (scripts/lib/portable.mjs builds it into kernel/assets/portable/).
import { SessionClient } from "../session";
import type { LiveLink } from "../live";
import { mountView, viewOfMime } from "../views";
import { widgetChannelOpener, type AnyModelLike } from "./channel";

interface Model extends AnyModelLike {
  get(name: string): unknown;
}

function render({ model, el }: { model: Model; el: HTMLElement }): () => void {
  const mime = String(model.get("mime"));
  const view = viewOfMime(mime);
  const root = document.createElement("div");
  root.className = `camlab-widget camlab-${view?.kind ?? "unknown"} camlab-portable`;
  root.dataset.testid = `camlab-${view?.kind ?? "unknown"}`;
  el.appendChild(root);
  if (!view) {
    root.textContent = `This camlab output cannot be shown: no view for ${mime} (made by a newer camlab?).`;
    return () => root.remove();
  }
  const client = new SessionClient(widgetChannelOpener(model));
  const link: LiveLink = { client: async () => client };
  const mounted = mountView(view, model.get("payload"), root, link);
  return () => {
    mounted.dispose();
    client.dispose();
    root.remove();
  };
}

export default { render };
