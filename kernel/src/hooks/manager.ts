// HookManager: hooks on every layer that matches (a class name such as "Conv2D", or a
// predicate), removed together. Nested models are searched too.
import * as tf from "@tensorflow/tfjs";
import { findLayer, isGraphModel, isGraphNode, layerNames, type AnyModel, type HookTarget } from "../engine/model";
import { registerBackwardHook, registerForwardHook, type BackwardHook, type ForwardHook, type HookHandle } from "./register";
import { checkModelArg } from "./run";

/** A layer class name ("Conv2D"; for GraphModel nodes an op such as "Relu6") or a predicate. */
export type LayerFilter = string | ((layer: HookTarget, name: string) => boolean);

function className(t: HookTarget): string {
  return isGraphNode(t) ? t.op : (t as tf.layers.Layer).getClassName();
}

/** Hooks on many layers of one model at once, removed together. */
export class HookManager {
  private readonly handles: HookHandle[] = [];
  constructor(readonly model: AnyModel) {
    checkModelArg(model, "HookManager");
  }

  /** Layers (name → target) that match a filter, in execution order. */
  select(filter: LayerFilter): { name: string; layer: HookTarget }[] {
    const all = layerNames(this.model).map((name) => ({ name, layer: findLayer(this.model, name) }));
    const picked = all.filter(({ name, layer }) => (typeof filter === "string" ? className(layer) === filter : filter(layer, name)));
    if (picked.length === 0 && typeof filter === "string") {
      const classes = [...new Set(all.map((l) => className(l.layer)))];
      throw new Error(`camlab.HookManager: no ${isGraphModel(this.model) ? "node op" : "layer class"} "${filter}" in the model; it has ${classes.join(", ")}`);
    }
    return picked;
  }

  /** Forward hook on every matching layer; returns how many were hooked. */
  forwardAll(filter: LayerFilter, hook: ForwardHook): number {
    const picked = this.select(filter);
    for (const { layer } of picked) this.handles.push(registerForwardHook(layer, hook));
    return picked.length;
  }

  /** Backward hook on every matching layer; returns how many were hooked. */
  backwardAll(filter: LayerFilter, hook: BackwardHook): number {
    const picked = this.select(filter);
    for (const { layer } of picked) this.handles.push(registerBackwardHook(layer, hook));
    return picked.length;
  }

  /** Adopts a handle so removeAll()/dispose() removes it too. */
  adopt(handle: HookHandle): HookHandle {
    this.handles.push(handle);
    return handle;
  }

  get size(): number {
    return this.handles.filter((h) => !h.removed).length;
  }

  removeAll(): void {
    while (this.handles.length > 0) this.handles.pop()!.remove();
  }

  dispose(): void {
    this.removeAll();
  }

  [Symbol.dispose](): void {
    this.removeAll();
  }
}
