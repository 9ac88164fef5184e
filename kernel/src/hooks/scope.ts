// The scoped helper (like tf.tidy for hooks): everything registered through the scope is
// removed, and every tensor it tracked is freed, when the body ends — also when it throws.
// Notebook cells run TypeScript 5.0 (no `using`), so this is the everyday way to hold hooks.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { releaseAbandonedTape } from "../engine/tape";
import type { AnyModel, HookTarget } from "../engine/model";
import { FeatureExtractor } from "./extractor";
import { HookManager } from "./manager";
import { registerBackwardHook, registerForwardHook, type BackwardHook, type ForwardHook, type HookHandle } from "./register";

/** Anything with `[Symbol.dispose]()`: hook handles, extractors, managers, CAM results. */
export interface Disposable {
  [Symbol.dispose](): void;
}

/** Owns hooks, extractors and tensors registered through it; `close()` frees them all. */
export class HookScope {
  private readonly owned: Disposable[] = [];
  private readonly tensors: tf.Tensor[] = [];

  /** A forward hook removed with the scope. */
  forward(layer: HookTarget, hook: ForwardHook): HookHandle {
    return this.own(registerForwardHook(layer, hook));
  }
  /** A backward hook removed with the scope. */
  backward(layer: HookTarget, hook: BackwardHook): HookHandle {
    return this.own(registerBackwardHook(layer, hook));
  }
  /** A FeatureExtractor disposed with the scope. */
  extractor(model: AnyModel, layers: string | readonly string[]): FeatureExtractor {
    return this.own(new FeatureExtractor(model, layers));
  }
  /** A HookManager disposed with the scope. */
  manager(model: AnyModel): HookManager {
    return this.own(new HookManager(model));
  }
  /** Any disposable (handles, extractors, CAM results with dispose()) freed with the scope. */
  own<T extends Disposable>(d: T): T {
    this.owned.push(d);
    return d;
  }
  /** Keeps a tensor alive (tf.keep) until the scope ends, e.g. one captured in a hook. */
  track<T extends tf.Tensor>(t: T): T {
    this.tensors.push(tf.keep(t));
    return t;
  }
  /** Frees everything, last registered first; errors in one disposal do not stop the others. */
  close(): void {
    const errors: unknown[] = [];
    while (this.owned.length > 0) {
      try {
        this.owned.pop()![Symbol.dispose]();
      } catch (e) {
        errors.push(e);
      }
    }
    while (this.tensors.length > 0) this.tensors.pop()!.dispose();
    if (errors.length > 0) throw errors[0];
  }
  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Runs `body` with a HookScope and closes it afterwards, even when `body` throws or rejects.
 * Return tensors from the body only if you created them outside the scope's tracking.
 */
export async function withHooks<T>(body: (scope: HookScope) => T | Promise<T>): Promise<T> {
  // At the engine boundary: a wasm crash inside the body gets the fresh backend and one plain message.
  return guardBackend("withHooks", () => withHooksOnBackend(body));
}

async function withHooksOnBackend<T>(body: (scope: HookScope) => T | Promise<T>): Promise<T> {
  const scope = new HookScope();
  try {
    return await body(scope);
  } catch (e) {
    // A gradient pass the body abandoned would otherwise keep its saved tensors forever.
    releaseAbandonedTape();
    throw e;
  } finally {
    scope.close();
  }
}
