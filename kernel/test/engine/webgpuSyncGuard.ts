// Preloaded (`node --require`) into the engine tests' webgpu run (scripts/lib/webgpu.mjs): a
// synchronous tensor read made from camlab's engine or session code fails at once, naming the
// read and the caller — on every backend, so also for data that happens to sit on the host.
// Reads made by the tests themselves, and tfjs moving a tensor between backends, are left alone.
import { countReads } from "../../src/engine/readCounter";
import { syncReadViolation } from "./webgpuSyncRules";

countReads({
  captureStacks: true,
  onSyncRead: (read) => {
    const violation = syncReadViolation(read.stack ?? "");
    if (violation) throw new Error(`camlab sync-read guard: ${read.dtype}[${read.shape.join(",")}] read synchronously by ${violation}; use \`await t.data()\` (WebGPU in Node allows only asynchronous reads)`);
  },
});
