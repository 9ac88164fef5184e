// Multithreaded wasm (wasmThreads.ts): the threaded SIMD build gives the same MobileNetV2 logits,
// Grad-CAM map and wasm backprop-kernel gradients as the stock single-threaded build, backendInfo
// reports the threads used, CAMLAB_THREADS chooses them (default 1: wasmThreads.ts says why), and a script using the threaded backend
// exits by itself. Each configuration runs in its own `node -e` child (the build is chosen once per
// process), which also proves the exit: spawnSync's timeout would kill a child kept alive by its
// pthread workers.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { WASM_MAX_THREADS, coreCount, wantedThreads } from "../../src/engine/wasmThreads";
import { relErr } from "./fixtures";

const root = path.join(__dirname, "..", "..", "src");

/** Runs in the child: forward + Grad-CAM on MobileNetV2, backprop kernels vs cpu, timings. */
const CHILD = `
const camlab = require(${JSON.stringify(path.join(root, "index.js"))});
const tf = require(require.resolve("@tensorflow/tfjs", { paths: [${JSON.stringify(root)}] }));
(async () => {
  const info = await camlab.backendInfo();
  const { model } = await camlab.loadMobileNetV2();
  const x = tf.randomUniform([1, 224, 224, 3], 0, 1, "float32", 11);
  const logits = Array.from(await model.predict(x).data());
  const r = await camlab.cam(model, x, { layer: "out_relu" });
  const raw = Array.from(await r.raw.data()), heatmap = Array.from(await r.heatmap.data());
  r.dispose();
  // The backprop kernels camlab registers for wasm (wasmKernels.ts), on this build, against cpu.
  const grads = async () => {
    const a = tf.randomNormal([2, 9, 9, 4], 0, 1, "float32", 3), w = tf.randomNormal([3, 3, 4, 5], 0, 1, "float32", 4);
    const d = tf.randomNormal([3, 3, 4, 2], 0, 1, "float32", 5);
    const f = (a, w, d) => tf.add(tf.sum(tf.square(tf.conv2d(a, w, 2, "same"))), tf.sum(tf.square(tf.depthwiseConv2d(a, d, 2, "same"))));
    const g = tf.grads(f)([a, w, d]);
    return Promise.all(g.map(async (t) => Array.from(await t.data())));
  };
  const wasmGrads = await grads();
  await camlab.useBackend("cpu");
  const cpuGrads = await grads();
  await camlab.useBackend("wasm");
  const time = async (fn) => {
    const ms = [];
    for (let i = 0; i < ${process.env.CAMLAB_THREAD_TEST_REPS ?? 5} + 2; i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    ms.splice(0, 2);
    return ms.sort((p, q) => p - q)[ms.length >> 1];
  };
  const forwardMs = await time(async () => { const y = model.predict(x); await y.data(); y.dispose(); });
  const camMs = await time(async () => { const c = await camlab.cam(model, x, { layer: "out_relu" }); await c.heatmap.data(); c.dispose(); });
  process.stdout.write(JSON.stringify({ info: { name: info.name, threads: info.threads, notes: info.notes }, logits, raw, heatmap, wasmGrads, cpuGrads, forwardMs, camMs }));
})().catch((e) => { console.error(e); process.exitCode = 1; });
`;

interface ChildResult {
  info: { name: string; threads: number | null; notes: string[] };
  logits: number[];
  raw: number[];
  heatmap: number[];
  wasmGrads: number[][];
  cpuGrads: number[][];
  forwardMs: number;
  camMs: number;
}

function runChild(threads: string): ChildResult {
  const r = spawnSync(process.execPath, ["-e", CHILD], {
    env: { ...process.env, CAMLAB_THREADS: threads, CAMLAB_BACKEND: "wasm" },
    encoding: "utf8",
    timeout: 240_000,
    maxBuffer: 64 << 20,
  });
  assert.equal(r.error, undefined, `child with CAMLAB_THREADS=${threads} did not exit by itself: ${r.error?.message}\n${r.stderr}`);
  assert.equal(r.signal, null, `child with CAMLAB_THREADS=${threads} was killed (${r.signal}): it did not exit by itself\n${r.stderr}`);
  assert.equal(r.status, 0, `child with CAMLAB_THREADS=${threads} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

describe("multithreaded wasm", () => {
  it("reads CAMLAB_THREADS (default 1, auto = every core, at most 8) and refuses malformed values", () => {
    assert.deepEqual(wantedThreads({}), { threads: 1, source: "default" });
    assert.deepEqual(wantedThreads({ CAMLAB_THREADS: "3" }), { threads: 3, source: "CAMLAB_THREADS" });
    assert.deepEqual(wantedThreads({ CAMLAB_THREADS: " 1 " }), { threads: 1, source: "CAMLAB_THREADS" });
    assert.deepEqual(wantedThreads({ CAMLAB_THREADS: "64" }), { threads: WASM_MAX_THREADS, source: "CAMLAB_THREADS" });
    assert.deepEqual(wantedThreads({ CAMLAB_THREADS: "Auto" }), { threads: Math.min(coreCount(), WASM_MAX_THREADS), source: "CAMLAB_THREADS" });
    for (const bad of ["0", "-2", "two", "1.5"]) assert.throws(() => wantedThreads({ CAMLAB_THREADS: bad }), /CAMLAB_THREADS.*positive integer nor "auto"/);
  });

  it("gives the single-threaded results with 2 threads (MobileNetV2 logits, Grad-CAM, backprop kernels), reports the threads, and exits by itself", (t) => {
    const single = runChild("1");
    const multi = runChild("2");
    assert.equal(single.info.name, "wasm");
    assert.equal(single.info.threads, 1);
    assert.ok(single.info.notes.some((n) => /simd \(stock loader\) build, 1 thread/.test(n)), single.info.notes.join("; "));
    assert.equal(multi.info.name, "wasm");
    assert.equal(multi.info.threads, 2, multi.info.notes.join("; "));
    assert.ok(multi.info.notes.some((n) => /threaded-simd build, 2 threads \(asked 2, by CAMLAB_THREADS/.test(n)), multi.info.notes.join("; "));
    const logitErr = relErr(multi.logits, single.logits);
    const rawErr = relErr(multi.raw, single.raw);
    const mapErr = relErr(multi.heatmap, single.heatmap);
    t.diagnostic(`max relative difference, 2 threads vs 1: logits ${logitErr.toExponential(2)}, Grad-CAM raw ${rawErr.toExponential(2)}, heatmap ${mapErr.toExponential(2)}`);
    assert.ok(logitErr < 1e-4, `logits differ by ${logitErr}`);
    assert.ok(rawErr < 1e-4, `Grad-CAM raw map differs by ${rawErr}`);
    assert.ok(mapErr < 1e-4, `Grad-CAM heatmap differs by ${mapErr}`);
    for (const [i, name] of ["dx", "dW conv", "dW depthwise"].entries()) {
      const e = relErr(multi.wasmGrads[i], multi.cpuGrads[i]);
      assert.ok(e < 1e-4, `${name} on the threaded build differs from cpu by ${e}`);
      assert.ok(relErr(multi.wasmGrads[i], single.wasmGrads[i]) < 1e-4, `${name}: threaded vs single-threaded wasm`);
    }
    // Timings are noisy on a shared machine: reported, not asserted.
    t.diagnostic(
      `MobileNetV2 224², median: forward ${single.forwardMs.toFixed(1)} → ${multi.forwardMs.toFixed(1)} ms (×${(multi.forwardMs / single.forwardMs).toFixed(2)}), ` +
        `Grad-CAM ${single.camMs.toFixed(1)} → ${multi.camMs.toFixed(1)} ms (×${(multi.camMs / single.camMs).toFixed(2)}), 2 threads / 1`,
    );
  });
});
