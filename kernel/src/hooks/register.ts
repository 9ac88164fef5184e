// PyTorch-style hooks for TensorFlow.js.
//  * Layer of a LayersModel: the instance's `call` is wrapped (own property shadowing the
//    prototype's); `remove()` of the last hook deletes the wrapper, restoring the layer exactly.
//  * GraphModel node: the model's executor `execute` is wrapped; hooked nodes are computed first
//    (in topological order) and fed back in as intermediate inputs, so a forward hook's
//    replacement and the backward tap flow into the rest of the graph.
//  * Backward hook: an identity with a custom gradient (tf.customGrad) at the output records dy
//    (BACKENDS.md: equals the two-sub-model gradient to the last bit).
// Tensors passed to hooks belong to the running model: clone and tf.keep what you keep.
import * as tf from "@tensorflow/tfjs";
import { graphNodeOrder, isGraphNode, type GraphNode, type HookTarget } from "../engine/model";

type Tensors = tf.Tensor | tf.Tensor[];
/** Called after the layer ran; return a tensor (or list) to replace its output, or nothing. */
export type ForwardHook = (layer: HookTarget, inputs: Tensors, output: Tensors) => Tensors | void;
/**
 * Called during backprop with dL/d(output) of the layer (one call per output tensor, `index`
 * numbers them); return a tensor to replace the gradient passed on upstream, or nothing.
 */
export type BackwardHook = (layer: HookTarget, gradOutput: tf.Tensor, index: number) => tf.Tensor | void;

/** A registered hook; `remove()` restores the layer exactly. */
export interface HookHandle {
  /** Removes the hook; idempotent. The model is restored exactly when its last hook goes. */
  remove(): void;
  readonly removed: boolean;
  [Symbol.dispose](): void;
}

interface HookState {
  forward: Map<number, ForwardHook>;
  backward: Map<number, BackwardHook>;
  restore: () => void;
}

let nextId = 1;
const layerStates = new WeakMap<object, HookState>();
const graphStates = new WeakMap<tf.GraphModel, { nodes: Map<string, HookState & { node: GraphNode }>; restore: () => void }>();
let liveHooks = 0;

/** How many hooks are registered right now, over all models (for leak tests). */
export function activeHookCount(): number {
  return liveHooks;
}

function applyForward(state: HookState, target: HookTarget, inputs: Tensors, output: Tensors): Tensors {
  let out = output;
  for (const h of [...state.forward.values()]) {
    const r = h(target, inputs, out);
    if (r != null) out = r;
  }
  return out;
}

function applyBackwardTap(state: HookState, target: HookTarget, output: Tensors): Tensors {
  if (state.backward.size === 0) return output;
  const tapOne = (t: tf.Tensor, index: number): tf.Tensor => {
    if (t.dtype !== "float32") return t;
    const tap = tf.customGrad(((x: tf.Tensor) => ({
      value: tf.clone(x),
      gradFunc: (dy: tf.Tensor) => {
        let g = dy;
        for (const h of [...state.backward.values()]) {
          const r = h(target, g, index);
          if (r != null) g = r;
        }
        return [g];
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    return tap(t) as tf.Tensor;
  };
  return Array.isArray(output) ? output.map(tapOne) : tapOne(output, 0);
}

function layerState(layer: tf.layers.Layer): HookState {
  let state = layerStates.get(layer);
  if (state) return state;
  const host = layer as unknown as { call: (inputs: Tensors, kwargs: object) => Tensors };
  const hadOwn = Object.prototype.hasOwnProperty.call(layer, "call");
  const ownBefore = hadOwn ? host.call : undefined;
  const original = host.call;
  const st: HookState = {
    forward: new Map(),
    backward: new Map(),
    restore: () => {
      if (hadOwn) host.call = ownBefore!;
      else delete (host as { call?: unknown }).call;
      layerStates.delete(layer);
    },
  };
  host.call = function hookedCall(inputs: Tensors, kwargs: object): Tensors {
    const out = original.call(this, inputs, kwargs);
    return applyBackwardTap(st, layer, applyForward(st, layer, inputs, out));
  };
  layerStates.set(layer, st);
  return st;
}

interface Executor {
  execute(inputs: tf.NamedTensorMap, outputs?: string[]): tf.Tensor[];
}

function nodeState(node: GraphNode): HookState {
  const model = node.model;
  let g = graphStates.get(model);
  if (g == null) {
    const executor = (model as unknown as { executor: Executor }).executor;
    const hadOwn = Object.prototype.hasOwnProperty.call(executor, "execute");
    const ownBefore = hadOwn ? executor.execute : undefined;
    const original = executor.execute;
    const order = graphNodeOrder(model);
    const nodes = new Map<string, HookState & { node: GraphNode }>();
    g = {
      nodes,
      restore: () => {
        if (hadOwn) executor.execute = ownBefore!;
        else delete (executor as { execute?: unknown }).execute;
        graphStates.delete(model);
      },
    };
    executor.execute = function hookedExecute(inputs: tf.NamedTensorMap, outputs?: string[]): tf.Tensor[] {
      const hooked = [...nodes.values()].sort((a, b) => (order.get(a.node.name) ?? 0) - (order.get(b.node.name) ?? 0));
      if (hooked.length === 0) return original.call(this, inputs, outputs);
      const fed: tf.NamedTensorMap = { ...inputs };
      const made: tf.Tensor[] = [];
      let result: tf.Tensor[] = [];
      try {
        for (const st of hooked) {
          const [a] = original.call(this, fed, [st.node.name]);
          made.push(a);
          const out = applyBackwardTap(st, st.node, applyForward(st, st.node, [], a)) as tf.Tensor;
          made.push(out);
          fed[st.node.name] = out;
        }
        result = original.call(this, fed, outputs);
        return result;
      } finally {
        // Outside a gradient tape the intermediates are garbage once the outputs exist; under a
        // tape the caller's tidy frees them after backprop has used them.
        if ((tf.engine().state as unknown as { gradientDepth: number }).gradientDepth === 0) {
          const keep = new Set<tf.Tensor>([...result, ...Object.values(inputs)]);
          for (const t of made) if (!keep.has(t) && !t.isDisposed) t.dispose();
        }
      }
    };
    graphStates.set(model, g);
  }
  let st = g.nodes.get(node.name);
  if (st == null) {
    const gg = g;
    const created: HookState & { node: GraphNode } = {
      node,
      forward: new Map(),
      backward: new Map(),
      restore: () => {
        gg.nodes.delete(node.name);
        if (gg.nodes.size === 0) gg.restore();
      },
    };
    g.nodes.set(node.name, created);
    st = created;
  }
  return st;
}

function stateFor(target: HookTarget): HookState {
  if (isGraphNode(target)) return nodeState(target);
  if (!(target instanceof tf.layers.Layer)) {
    throw new TypeError("camlab: hooks attach to a tf.layers.Layer (model.getLayer(name)) or a GraphModel node (camlab.graphNode(model, name) / camlab.findLayer)");
  }
  return layerState(target);
}

function register(target: HookTarget, kind: "forward" | "backward", hook: ForwardHook | BackwardHook): HookHandle {
  if (typeof hook !== "function") throw new TypeError(`camlab: a ${kind} hook must be a function, got ${typeof hook}`);
  const state = stateFor(target);
  const id = nextId++;
  if (kind === "forward") state.forward.set(id, hook as ForwardHook);
  else state.backward.set(id, hook as BackwardHook);
  liveHooks++;
  let removed = false;
  const handle: HookHandle = {
    remove() {
      if (removed) return;
      removed = true;
      liveHooks--;
      state.forward.delete(id);
      state.backward.delete(id);
      if (state.forward.size === 0 && state.backward.size === 0) state.restore();
    },
    get removed() {
      return removed;
    },
    [Symbol.dispose]() {
      handle.remove();
    },
  };
  return handle;
}

/** PyTorch's register_forward_hook: `hook(layer, inputs, output)` after every call of the layer. */
export function registerForwardHook(layer: HookTarget, hook: ForwardHook): HookHandle {
  return register(layer, "forward", hook);
}

/** PyTorch's register_full_backward_hook (grad_output only): `hook(layer, dy)` during backprop. */
export function registerBackwardHook(layer: HookTarget, hook: BackwardHook): HookHandle {
  return register(layer, "backward", hook);
}
