// WebGPU as a backend: how adapters are named and classified, what backendInfo() reports, the
// clear error for synchronous reads of GPU data, and switching away from webgpu with live models.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendInfo, useBackend, type BackendInfo } from "../../src/engine";
import { describeAdapter } from "../../src/engine/backend";
import { randomImages, relErr, smallResidual } from "./fixtures";

describe("WebGPU adapters", () => {
  it("names an adapter by its description and tells software rasterisers from GPUs", () => {
    // What Dawn reports for Mesa's llvmpipe (seen on the project's machines) …
    const llvmpipe = describeAdapter({ info: { vendor: "mesa", architecture: "software", device: "llvmpipe-llvm-15-0-6-256-bits-", description: "llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1", isFallbackAdapter: true } });
    assert.deepEqual(llvmpipe, { name: "llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1", vendor: "mesa", architecture: "software", software: true });
    // … and the shapes of reports from GPUs and from Chrome's SwiftShader.
    const nvidia = describeAdapter({ info: { vendor: "nvidia", architecture: "hopper", device: "", description: "NVIDIA H100 80GB HBM3", isFallbackAdapter: false } });
    assert.deepEqual(nvidia, { name: "NVIDIA H100 80GB HBM3", vendor: "nvidia", architecture: "hopper", software: false });
    assert.equal(describeAdapter({ info: { vendor: "google", architecture: "", description: "SwiftShader Device (Subzero)" } }).software, true);
    assert.equal(describeAdapter({ info: { vendor: "amd", architecture: "rdna-3", description: "" } }).name, "amd rdna-3");
    assert.equal(describeAdapter({}).name, "WebGPU adapter");
  });
});

describe("webgpu backend", () => {
  let info: BackendInfo;
  const requested = process.env.CAMLAB_BACKEND?.trim();

  before(async () => {
    info = await backendInfo();
  });

  it("backendInfo() reports the adapter, or why there is none", () => {
    if (!info.available.includes("webgpu")) {
      assert.equal(info.adapter, null);
      assert.match(info.unavailable.webgpu ?? "", /webgpu|Vulkan|adapter/i);
      return;
    }
    assert.ok(info.adapter && info.adapter.name.length > 0);
    if (info.name === "webgpu") assert.ok(info.device?.startsWith(info.adapter.name), `device "${info.device}"`);
    if (requested == null && info.adapter.software) {
      assert.notEqual(info.name, "webgpu", "a software adapter is not chosen automatically");
      assert.ok(info.notes.some((n) => n.includes(info.adapter!.name) && /software/.test(n)), info.notes.join("; "));
    }
    if (requested == null && !info.adapter.software && info.unavailable.tensorflow) assert.equal(info.name, "webgpu", "a GPU adapter is chosen automatically");
  });

  it("a synchronous read of GPU data fails with a message that says what to use; async reads work", async (t) => {
    if (!info.available.includes("webgpu")) return t.skip(`no WebGPU adapter: ${info.unavailable.webgpu}`);
    await useBackend("webgpu");
    const n0 = tf.memory().numTensors;
    // Large enough that tfjs runs it on the GPU (tiny ops on host data run on the CPU).
    const onGpu = tf.tidy(() => tf.mul(tf.range(0, 4096), 2));
    assert.throws(() => onGpu.dataSync(), /camlab: synchronous read .* held on the GPU.*await t\.data\(\)/);
    assert.deepEqual(Array.from((await onGpu.data()).slice(0, 4)), [0, 2, 4, 6]);
    assert.deepEqual(onGpu.dataSync().slice(4090), new Float32Array([8180, 8182, 8184, 8186, 8188, 8190]), "after an async read the host copy serves sync reads");
    onGpu.dispose();
    assert.equal(tf.memory().numTensors, n0);
  });

  it("switching from webgpu to wasm and back keeps a model working (weights carried over)", async (t) => {
    if (!info.available.includes("webgpu")) return t.skip(`no WebGPU adapter: ${info.unavailable.webgpu}`);
    await useBackend("webgpu");
    const model = smallResidual(3, 10);
    const x = randomImages(2, 10, 9);
    const y0 = model.predict(x) as tf.Tensor; // the weights now live on the GPU
    const onGpu = await y0.data();
    y0.dispose();
    x.dispose(); // plain tensors made on webgpu cannot move: make them again after a switch
    const wasm = await useBackend("wasm");
    assert.equal(wasm.name, "wasm");
    const x2 = randomImages(2, 10, 9);
    const y1 = model.predict(x2) as tf.Tensor;
    assert.ok(relErr(await y1.data(), onGpu) < 1e-3);
    y1.dispose();
    await useBackend("webgpu");
    const y2 = model.predict(x2) as tf.Tensor;
    assert.ok(relErr(await y2.data(), onGpu) < 1e-3);
    tf.dispose([y2, x2]);
    model.dispose();
    if (requested) await useBackend(requested);
  });
});
