// Model replicas in worker threads (engine/replicas.ts): batches shared with them come back in
// order and equal to the main thread's own results; a hooked layer keeps the work on the main
// thread (a replica has no hooks); a throwing callback stops the run and
// leaves no tensor behind; new weights make new replicas; and Score-CAM and a deletion curve
// with replicas equal the same without (CAMLAB_WORKERS=0).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Cancelled, endReplicas, ensureBackend, runBatches, runWork, startReplicas, REPLICA_MIN_BATCH_VALUES } from "../../src/engine";
import { cam } from "../../src/cam";
import { deletionCurve } from "../../src/metrics";
import { registerForwardHook } from "../../src/hooks";
import { seeded } from "./fixtures";

const SIZE = 96;

function wideModel(channels = 120, classes = 4): tf.LayersModel {
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  let t = tf.layers.conv2d({ filters: channels, kernelSize: 3, strides: 4, padding: "same", kernelInitializer: seeded(1), name: "wide" }).apply(input) as tf.SymbolicTensor;
  t = tf.layers.batchNormalization({ name: "bn", movingVarianceInitializer: tf.initializers.constant({ value: 2 }) }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.reLU({ maxValue: 6, name: "relu6" }).apply(t) as tf.SymbolicTensor;
  t = tf.layers.globalAveragePooling2d({}).apply(t) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: classes, kernelInitializer: seeded(2) }).apply(t) as tf.SymbolicTensor });
}

const PER_BATCH = Math.ceil(REPLICA_MIN_BATCH_VALUES / (SIZE * SIZE * 3)); // the smallest batch replicas take
const batchInput = (j: number) => tf.randomUniform([PER_BATCH, SIZE, SIZE, 3], 0, 1, "float32", 100 + j);
const predict = (model: tf.LayersModel) => (x: tf.Tensor) => model.predict(x) as tf.Tensor;

/** runBatches over `count` batches of batchInput, each output read to the host, in delivery order. */
async function collect(model: tf.LayersModel, count: number) {
  const order: number[] = [];
  const got: Float32Array[] = [];
  const stats = await runBatches(model, count, PER_BATCH * SIZE * SIZE * 3, batchInput, predict(model), async (j, out) => {
    order.push(j);
    got[j] = (await out.data()) as Float32Array;
    out.dispose();
  });
  return { order, got, stats };
}

describe("model replicas in worker threads", () => {
  const saved = process.env.CAMLAB_WORKERS;
  before(async () => {
    await ensureBackend();
    process.env.CAMLAB_WORKERS = "1"; // at least one replica, whatever the core count
  });
  after(() => {
    if (saved == null) delete process.env.CAMLAB_WORKERS;
    else process.env.CAMLAB_WORKERS = saved;
  });

  it("share the batches, deliver them in order, equal to the main thread's results", async () => {
    const model = wideModel();
    try {
      assert.equal(await startReplicas(model), 1);
      const n0 = tf.memory().numTensors;
      const { order, got, stats } = await collect(model, 8);
      assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.ok(stats.replicas > 0, `replicas ran ${stats.replicas} of 8 batches`);
      assert.equal(stats.main + stats.replicas, 8);
      assert.equal(tf.memory().numTensors, n0);
      for (let j = 0; j < 8; j++) {
        const want = tf.tidy(() => predict(model)(batchInput(j)).dataSync());
        assert.deepEqual(Array.from(got[j]), Array.from(want), `batch ${j}`);
      }
    } finally {
      endReplicas(model);
      model.dispose();
    }
  });

  it("a hooked layer keeps every batch on the main thread, so the hook sees them all", async () => {
    const model = wideModel();
    try {
      await startReplicas(model);
      let calls = 0;
      const hook = registerForwardHook(model.getLayer("bn"), () => {
        calls++;
      });
      try {
        process.env.CAMLAB_WORKERS = "0";
        await collect(model, 6);
        const alone = calls;
        assert.ok(alone >= 6, `the hook fires for every batch (${alone} calls)`);
        process.env.CAMLAB_WORKERS = "1";
        calls = 0;
        const { order, stats } = await collect(model, 6);
        assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
        assert.deepEqual(stats, { main: 6, replicas: 0 });
        assert.equal(calls, alone, "as often as on the main thread alone");
      } finally {
        process.env.CAMLAB_WORKERS = "1";
        hook.remove();
      }
      // Without the hook, replicas take their share again.
      const { stats } = await collect(model, 6);
      assert.ok(stats.replicas > 0, `replicas ran ${stats.replicas} of 6 batches`);
    } finally {
      endReplicas(model);
      model.dispose();
    }
  });

  it("a callback that throws stops the run; work still in flight is dropped, no tensor left", async () => {
    const model = wideModel();
    try {
      await startReplicas(model);
      const n0 = tf.memory().numTensors;
      await assert.rejects(
        runBatches(model, 10, PER_BATCH * SIZE * SIZE * 3, batchInput, predict(model), async (j, out) => {
          out.dispose();
          if (j === 2) throw new Error("stop here");
        }),
        /stop here/,
      );
      await new Promise((r) => setTimeout(r, 1500)); // replies that arrive after the stop
      assert.equal(tf.memory().numTensors, n0);
    } finally {
      endReplicas(model);
      model.dispose();
    }
  });

  it("an Interrupt stops the run within a batch, while a replica still holds an earlier one", async () => {
    const model = wideModel();
    try {
      await startReplicas(model);
      const stop = new AbortController();
      let begunAfterStop = 0;
      const local = (x: tf.Tensor) => {
        if (stop.signal.aborted) begunAfterStop++;
        stop.abort(); // during the first batch the main thread runs
        return model.predict(x) as tf.Tensor;
      };
      const n0 = tf.memory().numTensors;
      await assert.rejects(
        runWork({ signal: stop.signal }, () => runBatches(model, 12, PER_BATCH * SIZE * SIZE * 3, batchInput, local, async (_j, out) => out.dispose())),
        (e: unknown) => e instanceof Cancelled && /batches done/.test((e as Error).message),
      );
      assert.equal(begunAfterStop, 0, "no batch begun on the main thread after the stop");
      await new Promise((r) => setTimeout(r, 1500)); // the replica's reply, dropped
      assert.equal(tf.memory().numTensors, n0);
    } finally {
      endReplicas(model);
      model.dispose();
    }
  });

  it("new weights make new replicas, with the new results", async () => {
    const model = wideModel();
    try {
      await startReplicas(model);
      const w = model.getLayer("wide").getWeights();
      const flipped = tf.mul(w[0], -1);
      model.getLayer("wide").setWeights([flipped, w[1]]);
      flipped.dispose();
      assert.equal(await startReplicas(model), 1);
      const { got, stats } = await collect(model, 4);
      assert.ok(stats.replicas > 0);
      for (let j = 0; j < 4; j++) assert.deepEqual(Array.from(got[j]), Array.from(tf.tidy(() => (model.predict(batchInput(j)) as tf.Tensor).dataSync())));
    } finally {
      endReplicas(model);
      model.dispose();
    }
  });

  it("a deletion curve's rows, shared with replicas across images, equal the curve on the main thread alone", async () => {
    const model = wideModel();
    // 2 images × 40 steps in batches of PER_BATCH rows: batches mix the two images' rows.
    const x = tf.randomUniform([2, SIZE, SIZE, 3], 0, 1, "float32", 5);
    const heat = tf.randomUniform([2, SIZE, SIZE], 0, 1, "float32", 6);
    const options = { steps: 39, batchSize: PER_BATCH, target: 1 };
    try {
      process.env.CAMLAB_WORKERS = "0";
      const alone = await deletionCurve(model, x, heat, options);
      process.env.CAMLAB_WORKERS = "1";
      await startReplicas(model);
      const n0 = tf.memory().numTensors;
      const shared = await deletionCurve(model, x, heat, options);
      assert.equal(tf.memory().numTensors, n0);
      assert.deepEqual(shared, alone);
      assert.equal(shared.curves[0].length, 40);
    } finally {
      process.env.CAMLAB_WORKERS = "1";
      endReplicas(model);
      tf.dispose([x, heat]);
      model.dispose();
    }
  });

  it("Score-CAM with replicas equals Score-CAM on the main thread alone", async () => {
    const model = wideModel();
    const x = tf.randomUniform([1, SIZE, SIZE, 3], 0, 1, "float32", 3);
    try {
      process.env.CAMLAB_WORKERS = "0";
      const alone = await cam(model, x, { method: "scorecam", layer: "relu6", batchSize: PER_BATCH, target: 1 });
      const want = await alone.raw.data();
      alone.dispose();
      process.env.CAMLAB_WORKERS = "1";
      await startReplicas(model);
      const n0 = tf.memory().numTensors;
      const shared = await cam(model, x, { method: "scorecam", layer: "relu6", batchSize: PER_BATCH, target: 1 });
      const got = await shared.raw.data();
      shared.dispose();
      assert.equal(tf.memory().numTensors, n0);
      assert.deepEqual(Array.from(got), Array.from(want));
    } finally {
      process.env.CAMLAB_WORKERS = "1";
      endReplicas(model);
      x.dispose();
      model.dispose();
    }
  });
});
