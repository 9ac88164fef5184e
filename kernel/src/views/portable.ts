// camlab's views as portable Jupyter widgets, for front ends without camlab-extension (VS Code,
// Colab, a JupyterLab with only the widget manager): an AnyWidget whose `_esm` is the views'
// front end (bundled from extension/src/portable into assets/portable/) and whose state is the
// view's MIME type and snapshot payload. Its custom messages carry the same session requests and
// replies as the "camlab.session" comm, served by the same session.
//
// A camlab display carries it next to its own MIME type (JupyterLab with camlab-extension ranks
// camlab's renderer first) when a front end could use it:
//   "auto"   (default) when a widget manager has connected to this kernel (it opens the
//            jupyter.widget.control comm) and no camlab.session comm is open (no camlab-extension
//            front end has gone live yet). So nbclient, nbconvert and plain clients get no widget
//            models, and a JupyterLab with camlab-extension gets at most the first;
//   "always" / "never"  as they say (a front end that never opens the control comm needs
//            "always", or `view.asWidget()`). CAMLAB_PORTABLE_VIEWS sets the mode at start.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { currentKernel } from "../jupyter/runtime";
import { SESSION_COMM_TARGET } from "../protocol";
import { currentSession } from "../session/session";
import type { ReplyChannel } from "../session/server";
import { AnyWidget } from "../widgets/anywidget";
import { widgetRegistry } from "../widgets/manager";

/** When displays carry the portable widget beside camlab's own MIME type. */
export type PortableViewsMode = "auto" | "always" | "never";

const MODES: readonly PortableViewsMode[] = ["auto", "always", "never"];

function modeFromEnv(): PortableViewsMode {
  const v = process.env.CAMLAB_PORTABLE_VIEWS;
  return MODES.includes(v as PortableViewsMode) ? (v as PortableViewsMode) : "auto";
}

let mode: PortableViewsMode = modeFromEnv();

/**
 * Sets when camlab displays carry their portable widget: "auto" (while no camlab-extension front
 * end is live), "always" or "never". Returns the previous mode.
 */
export function setPortableViews(next: PortableViewsMode): PortableViewsMode {
  if (!MODES.includes(next)) throw new TypeError(`setPortableViews: the mode must be one of ${MODES.map((m) => `"${m}"`).join(", ")}, got ${JSON.stringify(next)}`);
  const previous = mode;
  mode = next;
  return previous;
}

/** The current portable-views mode. */
export function portableViewsMode(): PortableViewsMode {
  return mode;
}

/** Where the bundled front end lives (built by `npm run build -w camlab-extension`). */
export const PORTABLE_ASSETS_DIR = path.join(__dirname, "..", "..", "..", "assets", "portable");

let assets: { esm: string; css: string } | null = null;

/** The portable views' ES module and CSS; throws naming the build step when they are missing. */
export function portableAssets(): { esm: string; css: string } {
  if (assets) return assets;
  const esmFile = path.join(PORTABLE_ASSETS_DIR, "camlab-views.mjs");
  if (!existsSync(esmFile)) {
    throw new Error(`camlab's portable views are not built (${esmFile} is missing): run \`npm run build -w camlab-extension\` in the camlab checkout`);
  }
  assets = { esm: readFileSync(esmFile, "utf8"), css: readFileSync(path.join(PORTABLE_ASSETS_DIR, "camlab-views.css"), "utf8") };
  return assets;
}

/** Attributes of a portable view widget. */
export interface PortableViewState extends Record<string, unknown> {
  /** The camlab MIME type of the view ("application/vnd.camlab.heatmap+json", …). */
  mime: string;
  /** The view's snapshot payload (as in the MIME bundle), session handle inside. */
  payload: unknown;
}

/** A camlab view as a Jupyter widget (anywidget): live through the widget's own messages. */
export class PortableView extends AnyWidget<PortableViewState> {
  constructor(mime: string, payload: unknown) {
    const { esm, css } = portableAssets();
    super({ esm, css, state: { mime, payload }, types: { payload: "object" } });
    const session = currentSession();
    const channel: ReplyChannel = {
      send: (data, buffers) => this.send({ session: data }, buffers ?? []),
    };
    const stopListening = session.addListener(channel);
    this.onMsg(async (content) => {
      const c = content as { session?: unknown } | null;
      if (c && typeof c === "object" && "session" in c) await session.server.handle(channel, c.session);
    });
    this.whenClosed(stopListening);
  }
}

/** Whether a display made now should carry its portable widget (see the module comment). */
export function portableWanted(): boolean {
  if (mode === "never") return false;
  const kernel = currentKernel();
  if (!kernel) return false;
  if (mode === "always") return true;
  return widgetRegistry().frontEndSeen && kernel.comms(SESSION_COMM_TARGET).length === 0;
}

let warned = false;

/** A portable widget for a display, or null when not wanted or not built (said once in the log). */
export function portableViewFor(mime: string, payload: unknown): PortableView | null {
  if (!portableWanted()) return null;
  try {
    return new PortableView(mime, payload);
  } catch (err) {
    if (mode === "always") throw err;
    if (!warned) currentKernel()?.log(`portable views off: ${(err as Error).message}`);
    warned = true;
    return null;
  }
}
