// The confusion sweep (explore/confusions.ts) against hand computations on a model whose
// predictions are known by construction: an identity dense layer over 3 inputs, so the logits ARE
// the input values and the prediction is the index of the largest one. Expected counts, rates
// and margins come from formulas written here (softmax with Math.exp), sharing no code with src.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Cancelled, ensureBackend, runWork, type Progress } from "../../src/engine";
import { confusions, type Confusions } from "../../src/explore";
import { countRuns } from "../engine/fixtures";

/** logits = x: flatten [1, 1, 3] → dense(3) with the identity kernel and no bias. */
function identityModel(): tf.LayersModel {
  const model = tf.sequential({
    name: "identity3",
    layers: [tf.layers.flatten({ inputShape: [1, 1, 3], name: "flat" }), tf.layers.dense({ units: 3, useBias: false, name: "logits" })],
  });
  const eye = tf.eye(3);
  model.layers[1].setWeights([eye]);
  eye.dispose();
  return model;
}


// 12 examples: logits rows and true classes. The prediction is the argmax of the row by construction.
const ROWS: [number, number, number][] = [
  [3, 0, 0], [2, 1, 0], [0.5, 0, 2], [1, 3, 0], // truth 0: right, right, →2, →1
  [0, 4, 1], [0, 1, 0.5], [2.5, 1, 0], [0, 0.2, 0.1], // truth 1: right, right, →0, right
  [0, 0, 1.5], [1, 0, 3], [0, 2, 1.5], [4, 0, 1], // truth 2: right, right, →1, →0
];
const TRUTH = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];

const softmax = (r: readonly number[]) => {
  const e = r.map((v) => Math.exp(v));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};
const argmax = (r: readonly number[]) => r.indexOf(Math.max(...r));

function data(): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return { x: tf.tensor4d(ROWS.flat(), [ROWS.length, 1, 1, 3]), y: tf.tensor1d(TRUTH, "int32") };
}

/** What a sweep must give, computed here from ROWS and TRUTH. */
function expected() {
  const counts = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const pred = ROWS.map(argmax);
  TRUTH.forEach((t, i) => counts[t][pred[i]]++);
  const margin = ROWS.map((r, i) => {
    const p = softmax(r);
    const t = TRUTH[i];
    if (pred[i] !== t) return p[pred[i]] - p[t];
    return p[t] - Math.max(...p.filter((_, j) => j !== t));
  });
  return { counts, pred, margin };
}

function near(a: number, b: number, tol = 1e-6): boolean {
  return Math.abs(a - b) <= tol;
}

/** The fields a sweep's result is compared by across data forms. */
function essence(c: Confusions) {
  return {
    counts: c.counts,
    truth: [...c.truth],
    predicted: [...c.predicted],
    margin: [...c.margin].map((m) => Math.round(m * 1e6)),
    kept: [...c.kept].map((k) => k >= 0),
    inputs: [...c.truth].map((_, i) => (c.input(i) ? [...c.input(i)!] : null)),
  };
}

describe("confusions(): the sweep beneath the dataset explorer", () => {
  before(async () => {
    await ensureBackend();
  });

  it("counts, precision, recall, probabilities and margins equal a hand computation; cells are sorted by margin", async () => {
    const model = identityModel();
    const d = data();
    const n0 = tf.memory().numTensors;
    const c = await confusions(model, d, { labels: ["a", "b", "c"], batchSize: 5 });
    assert.equal(tf.memory().numTensors, n0, "no tensor left by the sweep");
    const e = expected();
    // By construction (see ROWS): truth 0 → [2, 1, 1], truth 1 → [1, 3, 0], truth 2 → [1, 1, 2].
    assert.deepEqual(e.counts, [[2, 1, 1], [1, 3, 0], [1, 1, 2]], "the fixture is what its comments say");
    assert.deepEqual(c.counts, e.counts);
    assert.equal(c.total, 12);
    assert.equal(c.accuracy, 7 / 12);
    assert.deepEqual(c.precision, [2 / 4, 3 / 5, 2 / 3]);
    assert.deepEqual(c.recall, [2 / 4, 3 / 4, 2 / 4]);
    assert.deepEqual([...c.predicted], e.pred);
    ROWS.forEach((r, i) => {
      const p = softmax(r);
      assert.ok(near(c.pTrue[i], p[TRUTH[i]]), `pTrue[${i}] ${c.pTrue[i]} vs ${p[TRUTH[i]]}`);
      assert.ok(near(c.pPredicted[i], p[e.pred[i]]), `pPredicted[${i}]`);
      assert.ok(near(c.margin[i], e.margin[i]), `margin[${i}] ${c.margin[i]} vs ${e.margin[i]}`);
    });
    // Off-diagonal cells: most confident mistake first; the diagonal: closest call first.
    const byMarginDesc = (ids: number[]) => [...ids].sort((a, b) => e.margin[b] - e.margin[a]);
    const byMarginAsc = (ids: number[]) => [...ids].sort((a, b) => e.margin[a] - e.margin[b]);
    assert.deepEqual(c.cell(0, 0), byMarginAsc([0, 1]));
    assert.deepEqual(c.cell(1, 1), byMarginAsc([4, 5, 7]));
    assert.deepEqual(c.cell(2, 0), [11]);
    assert.deepEqual(c.cell(1, 2), []);
    const mistakes = TRUTH.map((t, i) => i).filter((i) => e.pred[i] !== TRUTH[i]);
    assert.deepEqual(mistakes, [2, 3, 6, 10, 11]);
    for (let t = 0; t < 3; t++) for (let p = 0; p < 3; p++) if (t !== p) assert.deepEqual(c.cell(t, p), byMarginDesc(mistakes.filter((i) => TRUTH[i] === t && e.pred[i] === p)));
    // Ties broken by class order: (0,1) (0,2) (1,0) (2,0) (2,1) each count 1.
    assert.deepEqual(c.topConfusions(3), [{ truth: 0, predicted: 1, count: 1 }, { truth: 0, predicted: 2, count: 1 }, { truth: 1, predicted: 0, count: 1 }]);
    // The inputs of the mistakes are kept (host copies), the others not.
    for (let i = 0; i < 12; i++) {
      if (mistakes.includes(i)) assert.deepEqual([...c.input(i)!], ROWS[i]);
      else assert.equal(c.input(i), null);
    }
    assert.equal(c.keptBytes, mistakes.length * 3 * 4);
    assert.equal(c.keep, "mistakes");
    const t = c.inputTensor(11)!;
    assert.deepEqual(t.shape, [1, 1, 1, 3]);
    assert.deepEqual([...(await t.data())], ROWS[11]);
    t.dispose();
    assert.throws(() => c.cell(3, 0), /outside the 3×3 matrix; classes go from 0 to 2/);
    assert.equal(tf.memory().numTensors, n0);
    tf.dispose([d.x, d.y]);
    model.dispose();
  });

  it("a softmax head (probabilities) gives the same matrix and margins as logits", async () => {
    const logits = identityModel();
    const probs = tf.sequential({ layers: [logits, tf.layers.softmax({ name: "sm" })] });
    const d = data();
    const a = await confusions(logits, d);
    const b = await confusions(probs, d);
    assert.deepEqual(b.counts, a.counts);
    b.margin.forEach((m, i) => assert.ok(near(m, a.margin[i], 1e-5), `margin ${i}`));
    tf.dispose([d.x, d.y]);
    probs.dispose();
  });

  it("the three data forms — tensors, a tf.data Dataset (batched or not), an async iterable — give the same result; one-hot labels too", async () => {
    const model = identityModel();
    const d = data();
    const n0 = tf.memory().numTensors;
    const reference = essence(await confusions(model, d, { batchSize: 4 }));
    // tf.data: single examples (stacked into batches here) and pre-batched.
    // (tf.data.array hands out clones of its tensors: the ones here stay ours, disposed below.)
    const exampleTensors = ROWS.map((r, i) => ({ xs: tf.tensor3d(r, [1, 1, 3]), ys: tf.scalar(TRUTH[i], "int32") }));
    const viaExamples = essence(await confusions(model, tf.data.array(exampleTensors), { batchSize: 5 }));
    const rowTensors = ROWS.map((r) => tf.tensor3d(r, [1, 1, 3]));
    const viaBatched = essence(await confusions(model, tf.data.zip({ xs: tf.data.array(rowTensors), ys: tf.data.array(TRUTH) }).batch(5), {}));
    // An async generator of batches with one-hot labels, made fresh per batch (consumed: the sweep disposes them).
    async function* stream() {
      for (let s = 0; s < ROWS.length; s += 3) {
        yield { x: tf.tensor4d(ROWS.slice(s, s + 3).flat(), [3, 1, 1, 3]), y: tf.tidy(() => tf.oneHot(tf.tensor1d(TRUTH.slice(s, s + 3), "int32"), 3)) };
      }
    }
    const viaStream = essence(await confusions(model, stream()));
    // A plain iterable of [x, y] pairs with label arrays.
    const pairs = [0, 6].map((s) => [tf.tensor4d(ROWS.slice(s, s + 6).flat(), [6, 1, 1, 3]), TRUTH.slice(s, s + 6)] as const);
    const viaPairs = essence(await confusions(model, pairs));
    assert.deepEqual(viaExamples, reference);
    assert.deepEqual(viaBatched, reference);
    assert.deepEqual(viaStream, reference);
    assert.deepEqual(viaPairs, reference);
    assert.deepEqual(reference.counts, expected().counts);
    // The streams' tensors were consumed by the sweeps; what is left is ours.
    tf.dispose([exampleTensors, rowTensors] as tf.TensorContainer);
    assert.equal(tf.memory().numTensors, n0, "nothing of the sweeps stays");
    tf.dispose([d.x, d.y]);
    model.dispose();
  });

  it("a stream 10× longer uses the same backend memory: numTensors and numBytes, peak and after, do not grow with it", async (t) => {
    const model = identityModel();
    const run = async (batchesInStream: number) => {
      const before = tf.memory();
      let peakTensors = 0, peakBytes = 0;
      async function* stream() {
        for (let b = 0; b < batchesInStream; b++) {
          // Measured when the sweep asks for the next batch: the previous one must be gone by then.
          const m = tf.memory();
          peakTensors = Math.max(peakTensors, m.numTensors);
          peakBytes = Math.max(peakBytes, m.numBytes);
          yield { x: tf.tensor4d(ROWS.flat(), [12, 1, 1, 3]), y: tf.tensor1d(TRUTH, "int32") };
        }
      }
      // And while a batch is in the model (its input, the stream's element and the sweep's own tensors alive).
      const original = model.apply.bind(model);
      model.apply = ((...a: Parameters<tf.LayersModel["apply"]>) => {
        const m = tf.memory();
        peakTensors = Math.max(peakTensors, m.numTensors);
        peakBytes = Math.max(peakBytes, m.numBytes);
        return original(...a);
      }) as tf.LayersModel["apply"];
      let c: Confusions;
      try {
        c = await confusions(model, stream(), { batchSize: 12 });
      } finally {
        model.apply = original;
      }
      const after = tf.memory();
      return { c, before, after, peakTensors: peakTensors - before.numTensors, peakBytes: peakBytes - before.numBytes };
    };
    const small = await run(5);
    const large = await run(50);
    assert.equal(small.c.total, 60);
    assert.equal(large.c.total, 600);
    assert.deepEqual(large.c.counts, expected().counts.map((row) => row.map((v) => v * 50)), "counts scale with the stream");
    assert.equal(small.after.numTensors, small.before.numTensors);
    assert.equal(large.after.numTensors, large.before.numTensors, "numTensors after = before");
    assert.equal(large.after.numBytes, large.before.numBytes, "numBytes after = before");
    assert.equal(large.peakTensors, small.peakTensors, `peak tensors during the stream: ${large.peakTensors} (10×) vs ${small.peakTensors}`);
    assert.equal(large.peakBytes, small.peakBytes, `peak bytes during the stream: ${large.peakBytes} (10×) vs ${small.peakBytes}`);
    t.diagnostic(`backend memory: before ${large.before.numTensors} tensors / ${large.before.numBytes} B, after ${large.after.numTensors} / ${large.after.numBytes} B; ` +
      `peak above before: ${small.peakTensors} tensors / ${small.peakBytes} B for 60 examples, ${large.peakTensors} / ${large.peakBytes} B for 600`);
    // Host memory: only the mistakes' inputs (5 per 12 examples), and none with keep: "none".
    assert.equal(large.c.keptBytes, 50 * 5 * 12);
    async function* again() {
      for (let b = 0; b < 50; b++) yield { x: tf.tensor4d(ROWS.flat(), [12, 1, 1, 3]), y: tf.tensor1d(TRUTH, "int32") };
    }
    const none = await confusions(model, again(), { keep: "none" });
    assert.equal(none.keptBytes, 0);
    assert.equal(none.keep, "none");
    assert.ok([...none.kept].every((k) => k === -1));
    // A byte cap keeps the first mistakes that fit and counts the rest all the same.
    const capped = await confusions(model, data(), { keepBytes: 2 * 12 });
    assert.deepEqual([...capped.kept].filter((k) => k >= 0), [0, 1]);
    assert.equal(capped.keptBytes, 24);
    model.dispose();
  });

  describe("bad inputs: a message naming what is wrong and what would be right, before the model runs, nothing leaked", () => {
    const cases: [string, (d: { x: tf.Tensor; y: tf.Tensor }) => [unknown, object], RegExp, number][] = [
      ["labels of the wrong length", (d) => [d, { labels: ["a", "b"] }], /labels has 2 names but the model outputs 3 classes; give one name per class \(3\)/, 0],
      ["a label out of range", (d) => [{ x: d.x, y: tf.tensor1d([...TRUTH.slice(0, 11), 3], "int32") }, {}], /label 3 at \[11\] of data.y is out of range; the model has 3 classes, so labels go from 0 to 2/, 0],
      ["a negative label", (d) => [{ x: d.x, y: [...TRUTH.slice(0, 5), -1, ...TRUTH.slice(6)] }, {}], /label -1 at \[5\] of data.y is out of range/, 0],
      ["a fractional label", (d) => [{ x: d.x, y: tf.tensor1d([0.5, ...TRUTH.slice(1)]) }, {}], /holds 0.5 at \[0\], not a class index/, 0],
      ["fewer labels than inputs", (d) => [{ x: d.x, y: TRUTH.slice(0, 10) }, {}], /data.y has 12 inputs but 10 labels; x and y need one label per input/, 0],
      ["one-hot rows of the wrong width", (d) => [{ x: d.x, y: tf.zeros([12, 4]) }, {}], /one-hot rows of 4\), but the model has 3 classes/, 0],
      ["x of the wrong size for the model", () => [{ x: tf.zeros([12, 2, 2, 3]), y: TRUTH }, {}], /input has shape \[5, 2, 2, 3\] but this model takes \[batch, 1, 1, 3\]/, 0],
      ["x without the batch axis", () => [{ x: tf.zeros([1, 1, 3]), y: [0] }, {}], /data.x has shape \[1, 1, 3\] \(rank 3\) but this model takes batches \[batch, 1, 1, 3\]/, 0],
      ["x with NaN", () => [{ x: tf.fill([12, 1, 1, 3], NaN), y: TRUTH }, {}], /non-finite value/, 0],
      ["not data at all", () => [42, {}], /data must be \{x, y\} tensors, a tf.data Dataset, or an async iterable/, 0],
      ["an array of numbers", () => [[1, 2, 3], {}], /element 0 of the stream must be \{x, y\}, \{xs, ys\} or \[x, y\] with x a tf.Tensor, got number/, 0],
      ["a stream element without labels", () => [[{ x: tf.zeros([2, 1, 1, 3]) }], {}], /element 0 of the stream has no labels: y \(or ys\) must be/, 0],
      ["batchSize 0", (d) => [d, { batchSize: 0 }], /batchSize must be a positive integer/, 0],
    ];
    for (const [what, make, message, runs] of cases) {
      it(what, async () => {
        const n0 = tf.memory().numTensors;
        const model = identityModel();
        const d = data();
        const [input, options] = make(d);
        const made = tf.memory().numTensors - n0; // tensors the case itself made (the model's weights included)
        const spy = countRuns(model);
        try {
          await assert.rejects(confusions(model, input as never, { batchSize: 5, ...options }), (e: unknown) => {
            assert.match((e as Error).message, /^camlab\.confusions: /);
            assert.match((e as Error).message, message);
            return true;
          });
        } finally {
          spy.restore();
        }
        assert.equal(spy.runs, runs, "the model did not run");
        // A stream's elements are consumed (disposed) even on failure; tensors given as {x, y} stay the caller's.
        assert.ok(tf.memory().numTensors <= n0 + made, "the failed call made no tensor that stays");
        tf.dispose([d.x, d.y]);
        tf.dispose(input as tf.TensorContainer);
        model.dispose();
        assert.equal(tf.memory().numTensors, n0, "the failed call left no tensor");
      });
    }

    it("a bad label in a later batch of a stream stops there: the batches before ran, nothing leaked", async () => {
      const model = identityModel();
      const n0 = tf.memory().numTensors;
      async function* stream() {
        yield { x: tf.tensor4d(ROWS.slice(0, 6).flat(), [6, 1, 1, 3]), y: tf.tensor1d(TRUTH.slice(0, 6), "int32") };
        yield { x: tf.tensor4d(ROWS.slice(6).flat(), [6, 1, 1, 3]), y: tf.tensor1d([1, 1, 7, 2, 2, 2], "int32") };
      }
      const spy = countRuns(model);
      try {
        await assert.rejects(confusions(model, stream()), /label 7 at \[2\] of element 1 of the stream is out of range; the model has 3 classes/);
      } finally {
        spy.restore();
      }
      assert.equal(spy.runs, 1, "only the first batch ran");
      assert.equal(tf.memory().numTensors, n0);
      model.dispose();
    });
  });

  it("progress reports go to the work scope; an abort stops the sweep within one batch with nothing leaked", async () => {
    const model = identityModel();
    const big = { x: tf.tile(tf.tensor4d(ROWS.flat(), [12, 1, 1, 3]), [10, 1, 1, 1]), y: tf.tile(tf.tensor1d(TRUTH, "int32"), [10]) };
    const reports: Progress[] = [];
    await runWork({ progressIntervalMs: 0, onProgress: (p) => reports.push(p) }, () => confusions(model, big, { batchSize: 20 }));
    assert.ok(reports.every((p) => p.label === "confusions: images" && p.total === 120));
    assert.deepEqual(reports.map((p) => p.done).filter((v, i, a) => a.indexOf(v) === i), [0, 20, 40, 60, 80, 100, 120]);

    const n0 = tf.memory().numTensors;
    const controller = new AbortController();
    const spy = countRuns(model);
    let runsAtAbort = -1;
    try {
      await assert.rejects(
        runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => {
          if (p.done > 0 && runsAtAbort < 0) {
            runsAtAbort = spy.runs;
            controller.abort();
          }
        } }, () => confusions(model, big, { batchSize: 20 })),
        (e: unknown) => e instanceof Cancelled && /interrupted during confusions: images \(20 of 120 done\)/.test((e as Error).message),
      );
    } finally {
      spy.restore();
    }
    assert.equal(runsAtAbort, 1);
    assert.equal(spy.runs, runsAtAbort, "no batch ran after the abort");
    assert.equal(tf.memory().numTensors, n0, "Cancelled leaves no tensor behind");
    // A cancelled stream: its generator is closed (finally runs), its current batch freed.
    let closed = false;
    async function* stream() {
      try {
        for (let b = 0; b < 100; b++) yield { x: tf.tensor4d(ROWS.flat(), [12, 1, 1, 3]), y: tf.tensor1d(TRUTH, "int32") };
      } finally {
        closed = true;
      }
    }
    const c2 = new AbortController();
    await assert.rejects(runWork({ signal: c2.signal, progressIntervalMs: 0, onProgress: (p) => p.done >= 24 && c2.abort() }, () => confusions(model, stream())), Cancelled);
    assert.ok(closed, "the stream was closed");
    assert.equal(tf.memory().numTensors, n0);
    tf.dispose([big.x, big.y]);
    model.dispose();
  });
});
