// tfjs leaks when an exception escapes a gradient computation: the tape's nodes keep clones of
// the tensors saved for backprop, and only a successful backward pass disposes them. After an
// error we dispose them ourselves, so public calls leave tf.memory().numTensors unchanged even
// when they throw.
import * as tf from "@tensorflow/tfjs";

interface TapeState {
  gradientDepth: number;
  activeTape: { saved?: tf.Tensor[] }[] | null;
}

/** Frees the saved tensors of an abandoned outermost tape; a no-op inside an outer gradient. */
export function releaseAbandonedTape(): void {
  const state = tf.engine().state as unknown as TapeState;
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/** Runs `f`; if it throws, releases the abandoned tape before rethrowing. */
export function withTapeCleanup<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    releaseAbandonedTape();
    throw e;
  }
}
