// The resident tensor registry: what the kernel keeps alive between cells so widgets can ask for
// new numbers later. Entries are keyed by opaque handles and hold backend tensors (GPU memory
// when the backend has one). A byte budget bounds the total; the least recently used entries are
// evicted first, and an evicted handle stays known so its widget can say "recompute" rather
// than "unknown".
import type * as tf from "@tensorflow/tfjs";

/** One entry of the tensor registry: its value, the backend bytes it owns and how to free them. */
export interface RegistryEntry<T> {
  handle: string;
  value: T;
  /** Bytes of backend memory this entry owns (what counts against the budget). */
  bytes: number;
  /** Frees what the entry owns; called exactly once, on eviction, removal or clear. */
  release: () => void;
  lastUsed: number;
}

/** The answer of a registry lookup: the value, or whether the handle was evicted or never known. */
export type Lookup<T> =
  | { status: "ok"; value: T }
  | { status: "evicted" }
  | { status: "unknown" };

/** The registry's default byte budget (512 MiB) before least recently used entries are evicted. */
export const DEFAULT_BUDGET_BYTES = 512 * 1024 * 1024;

/**
 * Eight hex digits naming a kernel instance inside its handles (FNV-1a of the instance id).
 * Handle numbers restart at 1 in every kernel: "h1-<tag>" of a restarted kernel is never the
 * "h1-<tag>" a display of the previous kernel recorded.
 */
export function instanceTag(kernelInstance: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < kernelInstance.length; i++) {
    hash ^= kernelInstance.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/** Options of a TensorRegistry: its byte budget and what to do on eviction. */
export interface RegistryOptions {
  /** The kernel instance the handles belong to (default: a random one for this registry). */
  kernelInstance?: string;
}

/** Resident backend tensors keyed by opaque handles, bounded by a byte budget, least recently used evicted first. */
export class TensorRegistry<T = unknown> {
  private readonly entries = new Map<string, RegistryEntry<T>>();
  private readonly evicted = new Set<string>();
  private nextId = 1;
  private clock = 0;
  private readonly tag: string;
  private readonly evictionListeners = new Set<(handle: string) => void>();

  constructor(private budgetBytes = DEFAULT_BUDGET_BYTES, options: RegistryOptions = {}) {
    if (!(budgetBytes > 0)) throw new Error(`registry budget must be a positive number of bytes, got ${budgetBytes}`);
    this.tag = instanceTag(options.kernelInstance ?? `${Date.now()}-${Math.random()}`);
  }

  /** Calls `f` with each handle the registry evicts (budget, evict(), clear()); returns its remover. */
  onEvicted(f: (handle: string) => void): () => void {
    this.evictionListeners.add(f);
    return () => this.evictionListeners.delete(f);
  }

  get budget(): number {
    return this.budgetBytes;
  }

  set budget(bytes: number) {
    if (!(bytes > 0)) throw new Error(`registry budget must be a positive number of bytes, got ${bytes}`);
    this.budgetBytes = bytes;
    this.evictToBudget();
  }

  /** Bytes held by all live entries. */
  get bytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.bytes;
    return total;
  }

  get size(): number {
    return this.entries.size;
  }

  handles(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Adds a value and returns its handle. `release` frees what the value owns. An entry larger
   * than the whole budget is still kept (the newest entry is never evicted by its own insertion:
   * the display that made it must be able to answer at least once).
   */
  add(value: T, bytes: number, release: () => void): string {
    const handle = `h${this.nextId++}-${this.tag}`;
    this.entries.set(handle, { handle, value, bytes, release, lastUsed: ++this.clock });
    this.evictToBudget(handle);
    return handle;
  }

  /** Looks a handle up and marks it recently used. */
  get(handle: string): Lookup<T> {
    const e = this.entries.get(handle);
    if (e) {
      e.lastUsed = ++this.clock;
      return { status: "ok", value: e.value };
    }
    return this.evicted.has(handle) ? { status: "evicted" } : { status: "unknown" };
  }

  /** Changes an entry's byte count (e.g. after caching a computed tensor in it) and re-applies the budget. */
  resize(handle: string, bytes: number): void {
    const e = this.entries.get(handle);
    if (!e) return;
    e.bytes = bytes;
    this.evictToBudget(handle);
  }

  /** Removes and frees one entry; later lookups report it as evicted. */
  evict(handle: string): boolean {
    const e = this.entries.get(handle);
    if (!e) return false;
    this.entries.delete(handle);
    this.evicted.add(handle);
    e.release();
    for (const f of [...this.evictionListeners]) {
      try {
        f(handle);
      } catch {
        // A listener (a closed comm) must not stop the eviction of the others.
      }
    }
    return true;
  }

  /** Frees every entry (kernel shutdown, or a user's explicit reset). */
  clear(): void {
    for (const h of [...this.entries.keys()]) this.evict(h);
  }

  private evictToBudget(keep?: string): void {
    while (this.bytes > this.budgetBytes) {
      let oldest: RegistryEntry<T> | undefined;
      for (const e of this.entries.values()) {
        if (e.handle === keep) continue;
        if (!oldest || e.lastUsed < oldest.lastUsed) oldest = e;
      }
      if (!oldest) return;
      this.evict(oldest.handle);
    }
  }
}

/** Bytes of backend memory held by a set of tensors. */
export function tensorBytes(tensors: Iterable<tf.Tensor>): number {
  let total = 0;
  for (const t of tensors) total += t.size * (t.dtype === "complex64" ? 8 : t.dtype === "bool" ? 1 : 4);
  return total;
}
