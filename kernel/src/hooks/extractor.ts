// FeatureExtractor: activations of named layers for an input, kept on the backend. The
// extractor owns what it captured (freed on the next extract() and on dispose()), so a notebook
// can hold one per bound input without counting tensors.
import * as tf from "@tensorflow/tfjs";
import { findLayer, type AnyModel } from "../engine/model";
import { registerForwardHook, type HookHandle } from "./register";
import { checkInputShape } from "../engine/inputContract";
import { checkModelArg, runModel } from "./run";

/** What one `extract()` captured: the output and each requested layer's activation. */
export interface Features {
  /** The model's output for the input. */
  output: tf.Tensor;
  /** Activation of each requested layer, by the name it was requested with. */
  features: Record<string, tf.Tensor>;
}

/** Forward hooks on named layers that keep their activations for the last input (see the file comment). */
export class FeatureExtractor {
  readonly layers: readonly string[];
  private readonly handles: HookHandle[] = [];
  private captured: Record<string, tf.Tensor> = {};
  private last: Features | null = null;
  private disposed = false;

  constructor(readonly model: AnyModel, layers: string | readonly string[]) {
    checkModelArg(model, "FeatureExtractor");
    const names = typeof layers === "string" ? [layers] : [...layers];
    if (names.length === 0) throw new Error("camlab.FeatureExtractor: give at least one layer name");
    this.layers = names;
    const targets = names.map((n) => findLayer(model, n)); // validate all names before hooking any
    targets.forEach((t, i) => {
      const name = names[i];
      this.handles.push(registerForwardHook(t, (_l, _in, out) => {
        const o = Array.isArray(out) ? out[0] : out;
        this.captured[name]?.dispose();
        this.captured[name] = tf.keep(o.clone());
      }));
    });
  }

  /**
   * Runs the model on `input` and returns output + features (owned by the extractor). The input's
   * shape and dtype are checked against the model first (engine/inputContract.ts); its values are
   * not checked for NaN here, because that needs an asynchronous read and extract() is
   * synchronous — a NaN input shows in the features themselves (`camlab.cam` and the views check it).
   */
  extract(input: tf.Tensor): Features {
    if (this.disposed) throw new Error("camlab.FeatureExtractor: extract() after dispose()");
    const x = checkInputShape(this.model, input, "FeatureExtractor.extract");
    this.release();
    try {
      const output = tf.tidy(() => runModel(this.model, x));
      const missing = this.layers.filter((n) => this.captured[n] == null);
      if (missing.length > 0) {
        output.dispose();
        throw new Error(`camlab.FeatureExtractor: layers ${missing.join(", ")} did not run for this input`);
      }
      this.last = { output, features: { ...this.captured } };
      return this.last;
    } catch (e) {
      this.release();
      throw e;
    } finally {
      if (x !== input) x.dispose();
    }
  }

  /** Features of the last extract(), or null. */
  get current(): Features | null {
    return this.last;
  }

  private release(): void {
    for (const t of Object.values(this.captured)) t.dispose();
    this.captured = {};
    this.last?.output.dispose();
    this.last = null;
  }

  /** Removes the hooks and frees captured tensors; idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const h of this.handles) h.remove();
    this.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
