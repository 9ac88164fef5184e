// WebGPU in Node allows only asynchronous reads. Two nets for a synchronous read sneaking into
// the engine or session code: a scan of the sources (this file, on every backend), and a runtime
// guard (webgpuSyncGuard.ts, preloaded into the engine tests' webgpu run). Also the read counter
// the guard and the residency tests are built on.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { activeReadCounters, countReads, ensureBackend, measureReads } from "../../src/engine";
import { activeHookCount } from "../../src/hooks";
import { cam } from "../../src/cam";
import { randomImages, smallSequential } from "./fixtures";
import { ASYNC_ONLY_FOLDERS, codeOnly, SYNC_READ_CALL, syncReadViolation } from "./webgpuSyncRules";

const SRC = path.resolve(__dirname, "../../../src");

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f));
}

function syncCalls(source: string): string[] {
  const code = codeOnly(source);
  const lines = code.split("\n");
  const hits: string[] = [];
  for (const m of code.matchAll(SYNC_READ_CALL)) {
    const line = code.slice(0, m.index).split("\n").length;
    hits.push(`${line}: ${lines[line - 1].trim()}`);
  }
  return hits;
}

describe("no synchronous reads in engine and session code", () => {
  it("the scanner finds calls and ignores comments", () => {
    assert.equal(syncCalls("const v = t.dataSync();").length, 1);
    assert.equal(syncCalls("const v = t\n  .arraySync();").length, 1);
    assert.equal(syncCalls('const v = t["bufferSync"]();').length, 1);
    assert.equal(syncCalls("backend.readSync(id);").length, 1);
    assert.equal(syncCalls("// t.dataSync() would block\n/* x.arraySync() */ const u = 'http://x';").length, 0);
    assert.equal(syncCalls("await t.data(); await t.array();").length, 0);
  });

  it(`kernel/src/{${ASYNC_ONLY_FOLDERS.join(",")}} call no dataSync/arraySync/bufferSync/readSync`, () => {
    const files = ASYNC_ONLY_FOLDERS.flatMap((f) => tsFiles(path.join(SRC, f)));
    assert.ok(files.length >= 20, `scanned only ${files.length} files under ${SRC}`);
    const found = files.flatMap((f) => syncCalls(readFileSync(f, "utf8")).map((h) => `${path.relative(SRC, f)}:${h}`));
    assert.deepEqual(found, [], `synchronous reads (use await t.data() / t.array()):\n${found.join("\n")}`);
  });

  it("the runtime guard objects to reads from those folders only, and never to tfjs moving data", () => {
    const frame = (p: string) => `Error\n    at f (${p}:10:5)\n    at g (/x/node_modules/@tensorflow/tfjs-core/dist/tensor.js:1:1)`;
    assert.match(syncReadViolation(frame("/repo/kernel/dist/src/cam/base.js")) ?? "", /src\/cam\/base\.js/);
    assert.match(syncReadViolation(frame("/repo/kernel/src/session/handlers.ts")) ?? "", /session\/handlers\.ts/);
    assert.equal(syncReadViolation(frame("/repo/kernel/dist/test/cam/formulas.test.js")), null);
    assert.equal(syncReadViolation(frame("/repo/kernel/dist/src/jupyter/executor.js")), null);
    assert.equal(syncReadViolation(`Error\n    at Engine.moveData (/x/engine.js:1:1)\n    at h (/repo/kernel/dist/src/hooks/run.js:3:3)`), null);
  });
});

describe("read counter", () => {
  before(async () => {
    await ensureBackend();
  });

  it("records every read with size, sync flag and backend, and restores the engine when stopped", async () => {
    const engine = tf.engine() as unknown as Record<string, unknown>;
    const before = activeReadCounters(); // 1 when the runtime guard is preloaded
    const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const b = tf.tensor1d([7, 8], "int32");
    const c = tf.add(a, 1);
    {
      using reads = countReads();
      assert.ok(Object.prototype.hasOwnProperty.call(engine, "read"));
      await c.data();
      await b.array();
      c.dataSync(); // tests may; engine code may not
      assert.equal(reads.count, 3);
      assert.deepEqual(reads.reads.map((r) => [r.dtype, r.shape, r.bytes, r.sync]), [
        ["float32", [2, 3], 24, false],
        ["int32", [2], 8, false],
        ["float32", [2, 3], 24, true],
      ]);
      assert.equal(reads.bytes, 56);
      assert.equal(reads.syncReads, 1);
      assert.ok(reads.reads.every((r) => r.backend === tf.getBackend()));
      assert.match(reads.describe(), /float32\[2,3\] 24 B .*SYNC/);
      reads.reset();
      assert.equal(reads.count, 0);
    }
    assert.equal(activeReadCounters(), before);
    if (before === 0) assert.ok(!Object.prototype.hasOwnProperty.call(engine, "read") && !Object.prototype.hasOwnProperty.call(engine, "readSync"), "engine methods restored");
    tf.dispose([a, b, c]);
  });

  it("nested counters each see the reads; measureReads returns value and reads", async () => {
    const t = tf.ones([4, 4]);
    const before = activeReadCounters();
    const outer = countReads();
    const m = await measureReads(async () => {
      await t.data();
      return 42;
    });
    assert.equal(m.value, 42);
    assert.equal(m.count, 1);
    assert.equal(m.bytes, 64);
    assert.equal(outer.count, 1);
    assert.equal(activeReadCounters(), before + 1);
    outer.stop();
    outer.stop(); // idempotent
    assert.equal(activeReadCounters(), before);
    t.dispose();
  });

  it('onSyncRead "throw" stops a synchronous read with a message that says what to use', async () => {
    const t = tf.ones([3]);
    const guard = countReads({ onSyncRead: "throw" });
    try {
      assert.throws(() => t.dataSync(), /synchronous read of a float32\[3\] 12 B.*await t\.data\(\)/);
      assert.deepEqual(Array.from(await t.data()), [1, 1, 1]);
    } finally {
      guard.stop();
    }
    t.dispose();
  });

  it("the guard catches a synchronous read made inside an engine call, and the call leaks nothing", async () => {
    const model = smallSequential(4, 12);
    const x = randomImages(1, 12, 3);
    const n0 = tf.memory().numTensors;
    const guard = countReads({
      captureStacks: true,
      onSyncRead: (r) => {
        const where = syncReadViolation(r.stack ?? "");
        if (where) throw new Error(`guard: sync read by ${where}`);
      },
    });
    try {
      // A target function runs inside the engine's gradient pass, so its frames sit under src/.
      const target = (out: tf.Tensor) => {
        out.dataSync();
        return tf.slice(out, [0, 1], [-1, 1]).reshape([-1]) as tf.Tensor1D;
      };
      // (When the same guard is preloaded into the process, it is the one that answers.)
      await assert.rejects(cam(model, x, { target }), /guard: .*by .*src[\\/](engine|hooks|cam)[\\/]/);
    } finally {
      guard.stop();
    }
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(activeHookCount(), 0);
    x.dispose();
    model.dispose();
  });
});
