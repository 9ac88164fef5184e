// Checks of MIME payloads before anything is drawn. A notebook's outputs are data from anywhere
// (a saved file, another tool): a malformed one gets a message naming what is wrong, never an
// exception or a blank box. Shared core: the extension checks every payload it renders with these.
import { PAYLOAD_VERSION, type ActivationsPayload, type ConfusionPayload, type HeatmapPayload, type LayersPayload, type Prediction, type SessionRef } from "./mime";

/** A checked payload, or why it was refused. */
export type Checked<T> = { ok: true; payload: T } | { ok: false; reason: string };

class Invalid extends Error {}

function obj(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) throw new Invalid(`${what} must be an object`);
  return x as Record<string, unknown>;
}
function arr(x: unknown, what: string): unknown[] {
  if (!Array.isArray(x)) throw new Invalid(`${what} must be an array`);
  return x;
}
function num(x: unknown, what: string): number {
  if (typeof x !== "number" || Number.isNaN(x)) throw new Invalid(`${what} must be a number`);
  return x;
}
function int(x: unknown, what: string, min = 0): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x < min) throw new Invalid(`${what} must be an integer >= ${min}`);
  return x;
}
function str(x: unknown, what: string): string {
  if (typeof x !== "string") throw new Invalid(`${what} must be a string`);
  return x;
}

function checkVersion(p: Record<string, unknown>): void {
  const v = int(p.version, "version", 1);
  if (v > PAYLOAD_VERSION) {
    throw new Invalid(`this output was made by a newer camlab (payload version ${v}); this extension reads version ${PAYLOAD_VERSION} — update camlab-extension`);
  }
}

function checkSession(x: unknown): SessionRef | null {
  if (x === null || x === undefined) return null;
  const s = obj(x, "session");
  return { handle: str(s.handle, "session.handle"), kernelInstance: str(s.kernelInstance, "session.kernelInstance") };
}

function checkQuantized(x: unknown, what: string): void {
  const q = obj(x, what);
  int(q.width, `${what}.width`, 1);
  int(q.height, `${what}.height`, 1);
  num(q.scale, `${what}.scale`);
  num(q.offset, `${what}.offset`);
  str(q.data, `${what}.data`);
}

function run<T>(f: () => T): Checked<T> {
  try {
    return { ok: true, payload: f() };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    throw e;
  }
}

/** Checks a layers payload (application/vnd.camlab.layers+json) field by field. */
export function checkLayersPayload(x: unknown): Checked<LayersPayload> {
  return run(() => {
    const p = obj(x, "the layers payload");
    checkVersion(p);
    const session = checkSession(p.session);
    str(p.modelName, "modelName");
    arr(p.layers, "layers").forEach((l, i) => {
      const o = obj(l, `layers[${i}]`);
      str(o.name, `layers[${i}].name`);
      str(o.className, `layers[${i}].className`);
      arr(o.outputShape, `layers[${i}].outputShape`);
      num(o.params, `layers[${i}].params`);
      arr(o.inbound, `layers[${i}].inbound`).forEach((n, j) => str(n, `layers[${i}].inbound[${j}]`));
    });
    if (p.health !== undefined) {
      arr(p.health, "health").forEach((h, i) => {
        const o = obj(h, `health[${i}]`);
        str(o.layer, `health[${i}].layer`);
        str(o.status, `health[${i}].status`);
      });
    }
    return { ...(p as unknown as LayersPayload), session };
  });
}

/** Checks an activations payload (application/vnd.camlab.activations+json) field by field. */
export function checkActivationsPayload(x: unknown): Checked<ActivationsPayload> {
  return run(() => {
    const p = obj(x, "the activations payload");
    checkVersion(p);
    const session = checkSession(p.session);
    str(p.layer, "layer");
    const shape = arr(p.shape, "shape");
    if (shape.length !== 3) throw new Invalid(`shape must be [height, width, channels], got ${shape.length} entries`);
    shape.forEach((d, i) => int(d, `shape[${i}]`, 1));
    arr(p.channels, "channels").forEach((c, i) => int(obj(c, `channels[${i}]`).index, `channels[${i}].index`));
    const tileChannels = arr(p.tileChannels, "tileChannels");
    const tiles = arr(p.tiles, "tiles");
    if (tileChannels.length !== tiles.length) throw new Invalid(`tileChannels (${tileChannels.length}) and tiles (${tiles.length}) must have the same length`);
    tiles.forEach((t, i) => checkQuantized(t, `tiles[${i}]`));
    int(p.pageSize, "pageSize", 1);
    const h = obj(p.histogram, "histogram");
    const edges = arr(h.edges, "histogram.edges");
    const counts = arr(h.counts, "histogram.counts");
    if (counts.length > 0 && edges.length !== counts.length + 1) throw new Invalid(`histogram needs one more edge than counts, got ${edges.length} edges and ${counts.length} counts`);
    return { ...(p as unknown as ActivationsPayload), session };
  });
}

/** A CAM's raw range: two numbers, min not above max. */
function checkCamRange(x: unknown, what: string): void {
  const r = obj(x, what);
  if (num(r.min, `${what}.min`) > num(r.max, `${what}.max`)) throw new Invalid(`${what}.min (${r.min}) must not exceed ${what}.max (${r.max})`);
}

/** Checks a heatmap payload (application/vnd.camlab.heatmap+json) field by field. */
export function checkHeatmapPayload(x: unknown): Checked<HeatmapPayload> {
  return run(() => {
    const p = obj(x, "the heatmap payload");
    checkVersion(p);
    const session = checkSession(p.session);
    const img = obj(p.image, "image");
    int(img.width, "image.width", 1);
    int(img.height, "image.height", 1);
    str(img.data, "image.data");
    checkQuantized(p.cam, "cam");
    if (p.camRange !== undefined) checkCamRange(p.camRange, "camRange");
    str(p.method, "method");
    str(p.layer, "layer");
    int(p.classIndex, "classIndex");
    const predictions = arr(p.predictions, "predictions").map((q, i): Prediction => {
      const o = obj(q, `predictions[${i}]`);
      // Version 1 (saved notebooks) named the class `index` and had no raw score.
      const v1 = p.version === 1;
      const classIndex = int(v1 ? o.index : o.classIndex, `predictions[${i}].${v1 ? "index" : "classIndex"}`);
      const label = o.label === null ? null : str(o.label, `predictions[${i}].label`);
      const probability = num(o.probability, `predictions[${i}].probability`);
      return { classIndex, label, score: v1 ? probability : num(o.score, `predictions[${i}].score`), probability };
    });
    arr(p.methods, "methods").forEach((m, i) => str(m, `methods[${i}]`));
    arr(p.layers, "layers").forEach((m, i) => str(m, `layers[${i}]`));
    if (p.prefetched !== undefined) {
      arr(p.prefetched, "prefetched").forEach((e, i) => {
        const o = obj(e, `prefetched[${i}]`);
        int(o.classIndex, `prefetched[${i}].classIndex`);
        checkQuantized(o.cam, `prefetched[${i}].cam`);
        if (o.camRange !== undefined) checkCamRange(o.camRange, `prefetched[${i}].camRange`);
      });
    }
    return { ...(p as unknown as HeatmapPayload), predictions, version: PAYLOAD_VERSION, session };
  });
}

/** Checks a confusion explorer payload (application/vnd.camlab.confusion+json) field by field. */
export function checkConfusionPayload(x: unknown): Checked<ConfusionPayload> {
  return run(() => {
    const p = obj(x, "the confusion payload");
    checkVersion(p);
    const session = checkSession(p.session);
    str(p.modelName, "modelName");
    const labels = arr(p.labels, "labels").map((l, i) => str(l, `labels[${i}]`));
    const k = labels.length;
    if (k < 1) throw new Invalid("labels must name at least one class");
    const counts = arr(p.counts, "counts");
    if (counts.length !== k) throw new Invalid(`counts must have one row per class (${k}), got ${counts.length}`);
    counts.forEach((row, t) => {
      const r = arr(row, `counts[${t}]`);
      if (r.length !== k) throw new Invalid(`counts[${t}] must have one entry per class (${k}), got ${r.length}`);
      r.forEach((v, j) => int(v, `counts[${t}][${j}]`));
    });
    int(p.total, "total");
    num(p.accuracy, "accuracy");
    for (const key of ["precision", "recall"] as const) {
      const rates = arr(p[key], key);
      if (rates.length !== k) throw new Invalid(`${key} must have one entry per class (${k}), got ${rates.length}`);
      rates.forEach((v, i) => v === null || num(v, `${key}[${i}]`));
    }
    arr(p.top, "top").forEach((c, i) => {
      const o = obj(c, `top[${i}]`);
      for (const f of ["truth", "predicted"] as const) if (int(o[f], `top[${i}].${f}`) >= k) throw new Invalid(`top[${i}].${f} must be a class index below ${k}`);
      int(o.count, `top[${i}].count`);
    });
    if (!["mistakes", "all", "none"].includes(str(p.kept, "kept"))) throw new Invalid(`kept must be "mistakes", "all" or "none", got "${String(p.kept)}"`);
    str(p.method, "method");
    str(p.layer, "layer");
    arr(p.methods, "methods").forEach((m, i) => str(m, `methods[${i}]`));
    arr(p.layers, "layers").forEach((m, i) => str(m, `layers[${i}]`));
    int(p.pageSize, "pageSize", 1);
    return { ...(p as unknown as ConfusionPayload), session };
  });
}
