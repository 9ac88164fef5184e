// Long CAM work is cancellable and reports progress (engine/work.ts): Score-CAM and Ablation-CAM
// call checkpoint() between batches, so an abort stops them within one batch, with no tensor left
// and the model untouched.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Cancelled, ensureBackend, runWork, type Progress } from "../../src/engine";
import { activeHookCount } from "../../src/hooks";
import { cam } from "../../src/cam";
import { deletionCurve } from "../../src/metrics";
import { countRuns, randomImages, smallSequential } from "../engine/fixtures";


describe("cancellable, progress-reporting CAM work", () => {
  before(async () => {
    await ensureBackend();
  });

  for (const method of ["scorecam", "ablationcam"] as const) {
    it(`${method}: abort after the first progress report → Cancelled within one batch, no leak, the model still works`, async () => {
      const model = smallSequential(4, 12);
      const x = randomImages(2, 12, 5);
      const reference = await cam(model, x, { method: "gradcam", layer: "conv3", target: 1 });
      const refRaw = Array.from(await reference.raw.data());
      reference.dispose();
      const n0 = tf.memory().numTensors;
      const controller = new AbortController();
      const spy = countRuns(model);
      let runsAtAbort = -1;
      const reports: Progress[] = [];
      try {
        await assert.rejects(
          runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => {
            reports.push(p);
            // Abort once a batch has been scored: the next checkpoint must stop the work.
            if (p.done > 0 && runsAtAbort < 0) {
              runsAtAbort = spy.runs;
              controller.abort();
            }
          } }, () => cam(model, x, { method, layer: "conv3", target: 1, batchSize: 2 })),
          (e: unknown) => e instanceof Cancelled && /interrupted during (scorecam|ablationcam) conv3: (masked inputs|ablated maps) \(2 of 16 done\)/.test((e as Error).message),
        );
      } finally {
        spy.restore();
      }
      assert.ok(runsAtAbort >= 0, "a progress report came");
      assert.ok(spy.runs - runsAtAbort <= 1, `at most one more batch after abort() (ran ${spy.runs - runsAtAbort})`);
      assert.equal(tf.memory().numTensors, n0, "Cancelled leaves no tensor behind");
      assert.equal(activeHookCount(), 0);
      const again = await cam(model, x, { method: "gradcam", layer: "conv3", target: 1 });
      assert.deepEqual(Array.from(await again.raw.data()), refRaw, "the model computes as before");
      again.dispose();
      x.dispose();
      model.dispose();
    });
  }

  it("progress reports are monotone and end at total (Score-CAM: batch × channels masked inputs)", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(2, 12, 6);
    const reports: Progress[] = [];
    const r = await runWork({ progressIntervalMs: 0, onProgress: (p) => reports.push(p) }, () => cam(model, x, { method: "scorecam", layer: "conv3", batchSize: 3 }));
    r.dispose();
    assert.ok(reports.length >= 2);
    assert.ok(reports.every((p) => p.label === "scorecam conv3: masked inputs" && p.total === 16));
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i].done >= reports[i - 1].done, "monotone");
    assert.equal(reports[reports.length - 1].done, 16);
    // Faster Score-CAM counts only the channels it scores.
    const fast: Progress[] = [];
    (await runWork({ progressIntervalMs: 0, onProgress: (p) => fast.push(p) }, () => cam(model, x, { method: "scorecam", layer: "conv3", channels: 3 }))).dispose();
    assert.deepEqual(fast[fast.length - 1], { label: "scorecam conv3: masked inputs", done: 6, total: 6 });
    x.dispose();
    model.dispose();
  });

  it("deletion curve: cancellable between batches of rows (progress in whole images), no leak", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(3, 12, 7);
    const heat = tf.randomUniform([3, 12, 12], 0, 1, "float32", 8);
    const n0 = tf.memory().numTensors;
    const controller = new AbortController();
    await assert.rejects(
      runWork({ signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => void (p.done === 1 && controller.abort()) }, () => deletionCurve(model, x, heat, { steps: 4, batchSize: 4 })),
      // 3 images × 5 rows in batches of 4: image 1 is done after the second batch, and the stop lands there.
      (e: unknown) => e instanceof Cancelled && /deletionCurve: images \(1 of 3 done\)/.test((e as Error).message),
    );
    assert.equal(tf.memory().numTensors, n0);
    const ok = await deletionCurve(model, x, heat, { steps: 4 });
    assert.equal(ok.curves.length, 3);
    x.dispose();
    heat.dispose();
    model.dispose();
  });
});
