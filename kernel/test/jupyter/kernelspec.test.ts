// Kernelspec install/uninstall into a prefix, and the CLI's option parsing.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { PNG } from "pngjs";
import { install, uninstall, kernelDir } from "../../src/jupyter/kernelspec";
import { parseTarget } from "../../src/jupyter/cli";

describe("kernelspec", () => {
  it("installs camlab into PREFIX/share/jupyter/kernels/camlab with absolute paths and logos", () => {
    const prefix = mkdtempSync(join(tmpdir(), "camlab-spec-"));
    const dir = install({ kind: "prefix", prefix });
    assert.equal(dir, join(prefix, "share", "jupyter", "kernels", "camlab"));
    const spec = JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8"));
    assert.equal(spec.display_name, "TypeScript (camlab)");
    assert.equal(spec.language, "typescript");
    assert.equal(spec.interrupt_mode, "signal");
    assert.equal(spec.argv[0], process.execPath);
    assert.ok(isAbsolute(spec.argv[1]) && existsSync(spec.argv[1]) && spec.argv[1] === realpathSync(spec.argv[1]));
    assert.match(spec.argv[1], /bin[\\/]camlab\.js$/);
    assert.deepEqual(spec.argv.slice(2), ["kernel", "{connection_file}"]);
    for (const size of [32, 64]) {
      const png = PNG.sync.read(readFileSync(join(dir, `logo-${size}x${size}.png`)));
      assert.equal(png.width, size);
      assert.equal(png.height, size);
    }
    assert.equal(uninstall({ kind: "prefix", prefix }), dir);
    assert.equal(existsSync(dir), false);
    assert.equal(uninstall({ kind: "prefix", prefix }), undefined);
  });

  it("refuses to uninstall a folder holding someone else's kernelspec", () => {
    const prefix = mkdtempSync(join(tmpdir(), "camlab-spec-"));
    const dir = kernelDir({ kind: "prefix", prefix });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kernel.json"), JSON.stringify({ display_name: "Other" }));
    assert.throws(() => uninstall({ kind: "prefix", prefix }), /"Other", not camlab's/);
    assert.ok(existsSync(join(dir, "kernel.json")));
  });

  it("puts --user under JUPYTER_DATA_DIR when set", () => {
    const before = process.env.JUPYTER_DATA_DIR;
    process.env.JUPYTER_DATA_DIR = "/some/data";
    try {
      assert.equal(kernelDir({ kind: "user" }), join("/some/data", "kernels", "camlab"));
    } finally {
      if (before === undefined) delete process.env.JUPYTER_DATA_DIR;
      else process.env.JUPYTER_DATA_DIR = before;
    }
  });
});

describe("camlab install options", () => {
  it("parses the targets", () => {
    assert.deepEqual(parseTarget([]), { kind: "user" });
    assert.deepEqual(parseTarget(["--prefix", "/p"]), { kind: "prefix", prefix: "/p" });
    assert.deepEqual(parseTarget(["--prefix=/q"]), { kind: "prefix", prefix: "/q" });
    assert.deepEqual(parseTarget(["--sys-prefix", "--python", "/usr/bin/python3"]), { kind: "sys-prefix", python: "/usr/bin/python3" });
  });
  it("explains bad combinations", () => {
    assert.throws(() => parseTarget(["--user", "--prefix", "/p"]), /choose one of --user, --sys-prefix, --prefix DIR/);
    assert.throws(() => parseTarget(["--prefix"]), /--prefix needs a folder/);
    assert.throws(() => parseTarget(["--python", "py"]), /--python only applies to --sys-prefix/);
    assert.throws(() => parseTarget(["--global"]), /unknown option "--global"/);
  });
});
