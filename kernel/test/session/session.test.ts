// The kernel session: registry budget and eviction, request validation and exactly-one-reply,
// and each operation's numbers against an independent computation (a split model's activations
// and gradients, read in the test and reduced by plain loops).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../../src/engine";
import { activeHookCount } from "../../src/hooks";
import { Session, TensorRegistry, serveRequest, type OpDispatcher } from "../../src/session";
import type { OpResults, SessionReply } from "../../src/protocol";
import { randomImages, smallSequential, splitSequential } from "../engine/fixtures";
import * as ref from "../cam/reference";

type Sent = { data: SessionReply; buffers: ArrayBufferView[] };

/** Sends one raw message through serveRequest and returns every reply it produced. */
async function ask(session: Session, data: unknown): Promise<Sent[]> {
  const sent: Sent[] = [];
  await serveRequest({ send: (d, b) => sent.push({ data: d as SessionReply, buffers: b ?? [] }) }, data, (op, h, a) => session.dispatch(op, h, a));
  return sent;
}

async function ok<K extends keyof OpResults>(session: Session, handle: string, op: K, args: unknown): Promise<{ result: OpResults[K]; buffers: ArrayBufferView[] }> {
  const replies = await ask(session, { id: "t1", op, handle, args });
  assert.equal(replies.length, 1, "exactly one reply");
  const r = replies[0].data;
  assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}`);
  return { result: (r as unknown as { result: OpResults[K] }).result, buffers: replies[0].buffers };
}

async function errorOf(session: Session, data: unknown): Promise<{ id: string | null; code: string; message: string }> {
  const replies = await ask(session, data);
  assert.equal(replies.length, 1, "exactly one reply");
  const r = replies[0].data;
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 200)}`);
  return { id: r.id, ...(r as { error: { code: string; message: string } }).error };
}

function dequantize(h: { scale: number; offset: number }, bytes: Uint8Array): number[] {
  return Array.from(bytes, (b) => h.offset + (h.scale * b) / 255);
}

describe("TensorRegistry", () => {
  it("evicts the least recently used entries beyond the byte budget, and tells evicted from unknown", () => {
    const freed: string[] = [];
    const r = new TensorRegistry<string>(100);
    const a = r.add("a", 40, () => freed.push("a"));
    const b = r.add("b", 40, () => freed.push("b"));
    assert.equal(r.get(a).status, "ok"); // a is now more recent than b
    const c = r.add("c", 40, () => freed.push("c"));
    assert.deepEqual(freed, ["b"]);
    assert.deepEqual(r.get(b), { status: "evicted" });
    assert.deepEqual(r.get("h999"), { status: "unknown" });
    assert.equal(r.bytes, 80);
    r.resize(c, 70); // c grows: a (older) must go, c stays even though it alone is near the budget
    assert.deepEqual(freed, ["b", "a"]);
    assert.equal(r.get(c).status, "ok");
    r.clear();
    assert.deepEqual(freed, ["b", "a", "c"]);
    assert.throws(() => new TensorRegistry(0), /positive number of bytes/);
  });
});

describe("session operations", () => {
  const model = smallSequential(4, 12);
  let x: tf.Tensor4D;
  let session: Session;
  let handle: string;
  let baseline: number;

  before(async () => {
    await ensureBackend();
    x = randomImages(1, 12, 3);
    baseline = tf.memory().numTensors;
    session = new Session(64 * 1024 * 1024, "test-instance");
    handle = session.bind(model, x, { labels: ["zero", "one", "two", "three"], modelName: "small" });
  });

  after(() => {
    session.clear();
    assert.equal(tf.memory().numTensors, baseline, "the session freed everything it held");
    x.dispose();
  });

  it("session.info reports the kernel instance, backend and registry usage", async () => {
    const { result } = await ok(session, handle, "session.info", {});
    assert.equal(result.kernelInstance, "test-instance");
    assert.equal(result.backend, tf.getBackend());
    assert.equal(result.handles, 1);
    assert.equal(result.registryBudgetBytes, 64 * 1024 * 1024);
    assert.ok(result.registryBytes >= x.size * 4, "the bound input copy counts against the budget");
  });

  it("layers.describe gives every layer with its output shape without the batch axis", async () => {
    const { result } = await ok(session, handle, "layers.describe", {});
    assert.deepEqual(result.layers.map((l) => l.name), model.layers.map((l) => l.name));
    const conv2 = result.layers.find((l) => l.name === "conv2")!;
    assert.deepEqual(conv2.outputShape, [6, 6, 8]);
    assert.equal(conv2.spatial, true);
    assert.deepEqual(conv2.inbound, ["conv1"]);
    assert.equal(result.layers.find((l) => l.name === "logits")!.spatial, false);
  });

  it("activations.page: tiles and statistics equal the split model's activation (within quantization)", async () => {
    const { head } = splitSequential(model, "conv2");
    const a = head.predict(x) as tf.Tensor4D;
    const A = ((await a.array()) as number[][][][])[0]; // [6][6][8]
    a.dispose();
    const { result, buffers } = await ok(session, handle, "activations.page", { layer: "conv2", offset: 2, count: 3, sort: "index" });
    assert.deepEqual(result.shape, [6, 6, 8]);
    assert.deepEqual(result.channels.map((c) => c.index), [2, 3, 4]);
    const bytes = buffers[0] as Uint8Array;
    assert.equal(bytes.length, 3 * 36, "one byte per pixel per tile, nothing more");
    result.channels.forEach((c, i) => {
      const values = A.flatMap((row) => row.map((px) => px[c.index]));
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      assert.ok(Math.abs(c.mean - mean) < 1e-5, `mean of channel ${c.index}`);
      assert.ok(Math.abs(c.max - Math.max(...values)) < 1e-5, `max of channel ${c.index}`);
      assert.ok(Math.abs(c.sparsity - values.filter((v) => v === 0).length / values.length) < 1e-6);
      const tile = dequantize(result.tiles[i], bytes.subarray(i * 36, (i + 1) * 36));
      const step = result.tiles[i].scale / 255;
      tile.forEach((v, j) => assert.ok(Math.abs(v - values[j]) <= step / 2 + 1e-5, `tile ${i} pixel ${j}: ${v} vs ${values[j]}`));
    });
  });

  it("activations.page sorts by a statistic (descending, ties by index) before paging", async () => {
    const all = await ok(session, handle, "activations.page", { layer: "conv1", offset: 0, count: 6, sort: "max" });
    const maxes = all.result.channels.map((c) => c.max);
    assert.deepEqual(maxes, [...maxes].sort((p, q) => q - p));
    const second = await ok(session, handle, "activations.page", { layer: "conv1", offset: 3, count: 2, sort: "max" });
    assert.deepEqual(second.result.channels.map((c) => c.index), all.result.channels.slice(3, 5).map((c) => c.index));
  });

  it("activations.page by camWeight uses Grad-CAM weights equal to the spatial mean of the gradients", async () => {
    const { head, tail } = splitSequential(model, "conv3");
    const a = head.predict(x) as tf.Tensor;
    const topT = tf.tidy(() => tf.argMax(tail(a), 1));
    const top = (await topT.data())[0];
    topT.dispose();
    const g = tf.grad((aa: tf.Tensor) => tf.sum(tf.slice(tail(aa), [0, top], [1, 1])))(a);
    const expected = ref.gradCamWeights(((await g.array()) as ref.Img[])[0]);
    a.dispose();
    g.dispose();
    const { result } = await ok(session, handle, "activations.page", { layer: "conv3", offset: 0, count: 8, sort: "camWeight" });
    for (const c of result.channels) assert.ok(Math.abs((c.camWeight as number) - expected[c.index]) < 1e-5, `alpha_${c.index}`);
    const order = result.channels.map((c) => c.camWeight as number);
    assert.deepEqual(order, [...order].sort((p, q) => q - p));
  });

  it("activations.channel returns one channel at full resolution", async () => {
    const { head } = splitSequential(model, "conv1");
    const a = head.predict(x) as tf.Tensor4D;
    const A = ((await a.array()) as number[][][][])[0];
    a.dispose();
    const { result, buffers } = await ok(session, handle, "activations.channel", { layer: "conv1", channel: 5 });
    assert.equal(result.width, 12);
    assert.equal(result.height, 12);
    const got = dequantize(result, buffers[0] as Uint8Array);
    const want = A.flatMap((row) => row.map((px) => px[5]));
    got.forEach((v, j) => assert.ok(Math.abs(v - want[j]) <= result.scale / 510 + 1e-5));
  });

  it("cam.compute returns the Grad-CAM of the asked class at feature-map resolution, scaled to [0, 1]", async () => {
    const { head, tail } = splitSequential(model, "conv3");
    for (const cls of [1, 3]) {
      const a = head.predict(x) as tf.Tensor;
      const g = tf.grad((aa: tf.Tensor) => tf.sum(tf.slice(tail(aa), [0, cls], [1, 1])))(a);
      const A = ((await a.array()) as ref.Img[])[0], G = ((await g.array()) as ref.Img[])[0];
      a.dispose();
      g.dispose();
      const want = ref.relu2d(ref.weightedMap(A, ref.gradCamWeights(G)));
      const { result, buffers } = await ok(session, handle, "cam.compute", { method: "gradcam", layer: "conv3", classIndex: cls });
      assert.equal(result.label, ["zero", "one", "two", "three"][cls]);
      assert.equal(buffers[0].byteLength, want.length * want[0].length, "only the feature-map bytes travel");
      const got = dequantize(result, buffers[0] as Uint8Array);
      const flat = want.flat();
      const lo = Math.min(...flat), hi = Math.max(...flat);
      flat.forEach((v, j) => {
        const unit = hi - lo > 1e-12 ? (v - lo) / (hi - lo) : 0;
        assert.ok(Math.abs(got[j] - unit) <= 1 / 510 + 1e-5, `class ${cls} pixel ${j}: ${got[j]} vs ${unit}`);
      });
      // The colour bar's raw scale: the reference map's own extremes, before the scaling.
      assert.ok(Math.abs(result.rawMin - lo) <= 1e-5 * Math.max(1, Math.abs(lo)), `class ${cls} raw min ${result.rawMin} vs ${lo}`);
      assert.ok(Math.abs(result.rawMax - hi) <= 1e-5 * Math.max(1, Math.abs(hi)), `class ${cls} raw max ${result.rawMax} vs ${hi}`);
    }
  });

  it("predictions.topk: softmax probabilities of the model output, best first, with labels", async () => {
    const out = model.predict(x) as tf.Tensor;
    const logits = Array.from(await out.data());
    out.dispose();
    const probs = ref.softmax(logits);
    const { result } = await ok(session, handle, "predictions.topk", { k: 2 });
    const order = probs.map((_, i) => i).sort((p, q) => probs[q] - probs[p]);
    assert.deepEqual(result.predictions.map((p) => p.classIndex), order.slice(0, 2));
    result.predictions.forEach((p) => {
      assert.ok(Math.abs(p.probability - probs[p.classIndex]) < 1e-5);
      assert.equal(p.label, ["zero", "one", "two", "three"][p.classIndex]);
      assert.ok(Math.abs(p.score - logits[p.classIndex]) < 1e-5, "score is the raw output");
    });
  });

  it("cached activations count against the budget", async () => {
    const bytes = session.stats().bytes;
    // input 12*12*3 + conv1 12*12*6 + conv2 6*6*8 + conv3 4*4*8 floats were touched above, and
    // conv3 once more as the CAM layer's held output (class switches run only the model after it)
    assert.equal(bytes, 4 * (12 * 12 * 3 + 12 * 12 * 6 + 6 * 6 * 8 + 4 * 4 * 8 + 4 * 4 * 8));
  });

  it("bad requests get one error reply naming what is wrong, and leave no tensors or hooks", async () => {
    const n0 = tf.memory().numTensors;
    const cases: [unknown, RegExp][] = [
      [{ id: "a", op: "eval", handle, args: {} }, /unknown operation "eval"; known operations: session.info/],
      [{ id: "b", op: "activations.page", handle, args: { layer: "conv1", offset: 0 } }, /"count" must be an integer from 1 to 256, got nothing/],
      [{ id: "c", op: "activations.page", handle, args: { layer: "conv1", offset: 0, count: 4, code: "x" } }, /unknown argument\(s\) "code"/],
      [{ id: "d", op: "cam.compute", handle, args: { method: "gradcam", layer: "conv_3", classIndex: 0 } }, /conv_3[\s\S]*conv3/],
      [{ id: "e", op: "cam.compute", handle, args: { method: "magic", layer: "conv3", classIndex: 0 } }, /cam.compute: unknown method "magic"; use one of gradcam/],
      [{ id: "f", op: "cam.compute", handle, args: { method: "gradcam", layer: "conv3", classIndex: 9 } }, /class 9 does not exist; the model has 4 classes \(0–3\)/],
      [{ id: "g", op: "activations.channel", handle, args: { layer: "conv1", channel: 6 } }, /channel 6 does not exist; layer "conv1" has 6 channels \(0–5\)/],
      [{ id: "h", op: "activations.page", handle, args: { layer: "conv1", offset: 6, count: 1 } }, /offset 6 is past the last channel/],
      [{ id: "i", op: "session.info", handle: "<img src=x>", args: {} }, /session handle like "h12-0f3a9c21"/],
      [[1, 2, 3], /a request must be a JSON object/],
    ];
    for (const [data, pattern] of cases) {
      const e = await errorOf(session, data);
      assert.equal(e.code, "bad_request", `${JSON.stringify(data)} → ${e.message}`);
      assert.match(e.message, pattern);
      assert.equal(e.id, (data as { id?: string }).id ?? null, "the reply carries the request's id");
    }
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(activeHookCount(), 0);
  });

  it("an evicted handle answers 'evicted', a never-seen handle 'unknown_handle'", async () => {
    const n0 = tf.memory().numTensors;
    const h2 = session.bind(model, x);
    await ok(session, h2, "activations.page", { layer: "conv1", offset: 0, count: 2 });
    assert.ok(session.evict(h2));
    assert.equal(tf.memory().numTensors, n0, "eviction frees the input copy and cached activations");
    const gone = await errorOf(session, { id: "r1", op: "cam.compute", handle: h2, args: { method: "gradcam", layer: "conv3", classIndex: 0 } });
    assert.equal(gone.code, "evicted");
    assert.match(gone.message, /evicted to keep the session within its 64 MB budget/);
    const unknown = await errorOf(session, { id: "r2", op: "session.info", handle: "h4242", args: {} });
    assert.equal(unknown.code, "unknown_handle");
  });

  it("the budget evicts the least recently used bound model when a new one does not fit", async () => {
    const small = new Session(4 * (12 * 12 * 3) * 2 + 1, "budget");
    const n0 = tf.memory().numTensors;
    const h1 = small.bind(model, x);
    const h2 = small.bind(model, x);
    await ok(small, h1, "session.info", {}); // h1 used last
    const h3 = small.bind(model, x);
    assert.equal((await errorOf(small, { id: "q", op: "session.info", handle: h2, args: {} })).code, "evicted");
    await ok(small, h1, "session.info", {});
    await ok(small, h3, "session.info", {});
    small.clear();
    assert.equal(tf.memory().numTensors, n0);
  });

  it("requests run one at a time and each gets its own reply", async () => {
    const replies: Sent[] = [];
    const channel = { send: (d: unknown, b?: ArrayBufferView[]) => replies.push({ data: d as SessionReply, buffers: b ?? [] }) };
    const dispatch: OpDispatcher = (op, h, a) => session.dispatch(op, h, a);
    await Promise.all([
      serveRequest(channel, { id: "p1", op: "cam.compute", handle, args: { method: "gradcampp", layer: "conv3", classIndex: 0 } }, dispatch),
      serveRequest(channel, { id: "p2", op: "cam.compute", handle, args: { method: "gradcampp", layer: "conv2", classIndex: 2 } }, dispatch),
      serveRequest(channel, { id: "p3", op: "bogus" }, dispatch),
    ]);
    assert.deepEqual(replies.map((r) => r.data.id).sort(), ["p1", "p2", "p3"]);
    assert.equal(activeHookCount(), 0);
  });

  it("a send that throws (closed comm) is logged, not thrown", async () => {
    await assert.doesNotReject(serveRequest({ send: () => { throw new Error("comm closed"); } }, { id: "z", op: "session.info", handle, args: {} }, (op, h, a) => session.dispatch(op, h, a)));
  });
});
