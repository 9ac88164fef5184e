// The API reference in docs/api is generated from the doc comments (TypeDoc, kernel/typedoc.json):
// this regenerates it into a temporary folder and fails when the committed one differs, so the
// reference linked from the README never describes an API that no longer exists.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const kernelDir = path.resolve(__dirname, "..", "..", "..");
const committed = path.resolve(kernelDir, "..", "docs", "api");

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".md")).sort();
}

test("docs/api is what TypeDoc makes of the sources now (else: npm run docs)", () => {
  const out = mkdtempSync(path.join(tmpdir(), "camlab-api-"));
  try {
    const r = spawnSync(process.execPath, [path.resolve(kernelDir, "..", "node_modules", "typedoc", "bin", "typedoc"), "--out", out], { cwd: kernelDir, encoding: "utf8" });
    assert.equal(r.status, 0, `typedoc failed:\n${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, /\[warning\]|\[error\]/, `typedoc warned:\n${r.stdout}${r.stderr}`);
    assert.deepEqual(files(committed), files(out), "the set of reference pages differs: run `npm run docs` and commit docs/api");
    for (const f of files(out)) {
      assert.ok(readFileSync(path.join(committed, f), "utf8") === readFileSync(path.join(out, f), "utf8"), `docs/api/${f} is out of date: run \`npm run docs\` and commit docs/api`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
