// What every camlab display has in common: a MIME bundle with the widget's JSON snapshot (its
// session handle inside), an image/png for viewers without the extension and a text/plain line.
// The snapshot is computed once, when the view is made; live widgets ask the session for more.
import { display, type DisplayHandle } from "../display/display";
import { JUPYTER_DISPLAY, type DisplayResult } from "../display/mime";
import type * as tf from "@tensorflow/tfjs";
import type { AnyModel } from "../engine/model";
import type { SessionRef } from "../protocol";
import type { BindOptions, BoundModel } from "../session/bound";
import { currentSession } from "../session/session";
import { guardBackend } from "../engine/backend";
import { batchOfOne } from "./image";
import { PortableView, portableViewFor } from "./portable";
import { WIDGET_VIEW_MIME } from "../widgets/manager";

/** A display backed by the session: a MIME payload with its handle, a PNG fallback and a text form; `show()` displays it. */
export abstract class CamlabView<P extends { session: SessionRef | null }> {
  constructor(
    /** The MIME type the JupyterLab extension renders. */
    readonly mimeType: string,
    /** The static snapshot (what a saved notebook keeps). */
    readonly payload: P,
    /** base64 PNG fallback. */
    readonly png: string,
    /** text/plain fallback. */
    readonly text: string,
  ) {}

  /** Registry handle of the resident model + input ("h7"), or null for a snapshot-only view. */
  get handle(): string | null {
    return this.payload.session?.handle ?? null;
  }

  /** Frees the session's resident tensors for this view now (its widget will say "recompute"). */
  release(): boolean {
    return this.handle ? currentSession().evict(this.handle) : false;
  }

  /**
   * The bundle: camlab's MIME type, the same view as a Jupyter widget for front ends without
   * camlab-extension (see views/portable.ts for when), the PNG and the text.
   */
  [JUPYTER_DISPLAY](): DisplayResult {
    const bundle: Record<string, unknown> = { [this.mimeType]: this.payload, "image/png": this.png, "text/plain": this.text };
    const widget = portableViewFor(this.mimeType, this.payload);
    if (widget) bundle[WIDGET_VIEW_MIME] = { version_major: 2, version_minor: 0, model_id: widget.modelId };
    return bundle;
  }

  /** The view as a Jupyter widget, live in any widget front end; it can sit in a VBox/HBox. */
  asWidget(): PortableView {
    return new PortableView(this.mimeType, this.payload);
  }

  toString(): string {
    return this.text;
  }

  /** Shows the view in the current cell's output. */
  show(): DisplayHandle {
    return display(this);
  }
}

export function sessionRef(handle: string): SessionRef {
  return { handle, kernelInstance: currentSession().kernelInstance };
}

/**
 * Binds the model and (a copy of) one input in the session, then builds a view from the bound
 * model. When building fails the entry is freed at once: a failed display leaves nothing resident.
 */
export async function buildBoundView<V>(
  fn: string,
  model: AnyModel,
  input: tf.Tensor | null,
  options: BindOptions,
  build: (bound: BoundModel, ref: SessionRef) => Promise<V>,
): Promise<V> {
  // At the engine boundary: a wasm crash while building gets the fresh backend and one plain message.
  return guardBackend(fn, () => bindAndBuild(fn, model, input, options, build));
}

async function bindAndBuild<V>(
  fn: string,
  model: AnyModel,
  input: tf.Tensor | null,
  options: BindOptions,
  build: (bound: BoundModel, ref: SessionRef) => Promise<V>,
): Promise<V> {
  const session = currentSession();
  const batch = input == null ? null : await batchOfOne(model, input, fn);
  let handle: string;
  try {
    handle = session.bind(model, batch, { labels: options.labels, modelName: options.modelName });
  } finally {
    if (batch && batch !== input) batch.dispose();
  }
  try {
    return await build(session.lookup(handle), sessionRef(handle));
  } catch (e) {
    session.evict(handle);
    throw e;
  }
}
