// Bitwise snapshots of a model's weights, to check that the sanity checks never write to it.
import * as tf from "@tensorflow/tfjs";

/** Every weight of the model as bytes, by layer name. */
export async function weightBytes(model: tf.LayersModel): Promise<Map<string, Uint8Array[]>> {
  const out = new Map<string, Uint8Array[]>();
  for (const layer of model.layers) out.set(layer.name, await Promise.all(layer.getWeights().map(async (w) => new Uint8Array((await w.data()).slice().buffer))));
  return out;
}

export function sameBytes(a: Map<string, Uint8Array[]>, b: Map<string, Uint8Array[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, list] of a) {
    const other = b.get(k);
    if (!other || other.length !== list.length) return false;
    for (let i = 0; i < list.length; i++) if (Buffer.compare(Buffer.from(list[i]), Buffer.from(other[i])) !== 0) return false;
  }
  return true;
}

