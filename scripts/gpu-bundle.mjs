#!/usr/bin/env node
// `npm run gpu-bundle`: packs `npm run gpu-check` for a GPU machine that has the GPU's driver but no
// Node.js, no network and room for only a few tens of MiB of carried files (the device machine of
// /work/.library/device/README.md). It writes .gpu-bundle/ (git-ignored):
//
//   run.sh      the entry point: unpacks node and dawn.node to /tmp/camlab-gpu, adds the Vulkan
//               loader when the machine lacks one, finds the NVIDIA Vulkan driver, runs
//               scripts/gpu-check.mjs --tests ci --runs 3 --deadline 480 (arguments given to
//               run.sh come first and win) and writes gpu-check.md/.json and run.log to $OUT
//   node.xz     this machine's node binary (xz -9)
//   lib/        libvulkan.so.1 (the Vulkan loader, from .mesa-vulkan/) and libGLdispatch.so.0 (from
//               this machine's libglvnd0: NVIDIA's Vulkan driver links it); run.sh uses each only
//               when `ldconfig -p` does not list it
//   app/        a copy of the repository holding only what gpu-check reads at run time: the three
//               scripts, kernel/package.json, kernel/dist/src (.js), the CI-subset test files and
//               their helpers, kernel/src (engine/webgpuSyncReads scans it), chelsea.png, and
//               NODE_MODULES_FILES below (webgpu's dawn.node for linux-x64 as dawn.node.xz)
//
// NODE_MODULES_FILES is the list of node_modules files that gpu-check --tests ci and the engine
// benchmark opened or looked up (recorded with strace, open and stat calls, on webgpu/llvmpipe and
// wasm). After a dependency or test change, re-record it: `node scripts/gpu-bundle.mjs --trace`
// runs gpu-check under strace (about 3 minutes on llvmpipe) and prints the files it opened that the
// list lacks, and those the list holds that it did not open.
//
// Decompressing needs `xz` on the target, or a python3 with its standard `lzma` module (run.sh
// tries xz, then python3, /usr/bin/python3 and /opt/torch/.venv/bin/python3). The node binary
// needs glibc >= 2.28 and libstdc++ (GLIBCXX_3.4.21); MANIFEST.txt records both.
//
//   node scripts/gpu-bundle.mjs [--out DIR] [--trace]
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WEBGPU_CI_TESTS, MESA_DIR } from "./lib/webgpu.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const BUNDLE = path.resolve(opt("out", path.join(root, ".gpu-bundle")));
const LIMIT_MIB = 60;
/** Compressed with xz in the bundle, unpacked by run.sh. */
const XZ_FILES = new Set(["webgpu/dist/linux-x64/dawn.node"]);

// Recorded 2026-11-27 (tfjs 4.22.0, webgpu 0.6.2, nsfwjs 4.4.0): every node_modules file that
// `gpu-check --allow-software --tests ci --runs 1` opened, plus nsfwjs's entry point (only
// require.resolve'd: camlab finds the model folder from it) and wasm's other two binaries (tfjs
// picks one by what the machine's WebAssembly supports).
const NODE_MODULES_FILES = `
@tensorflow/tfjs/package.json @tensorflow/tfjs/dist/tf.node.js
@tensorflow/tfjs-core/package.json @tensorflow/tfjs-core/dist/tf-core.node.js
@tensorflow/tfjs-layers/package.json @tensorflow/tfjs-layers/dist/tf-layers.node.js
@tensorflow/tfjs-converter/package.json @tensorflow/tfjs-converter/dist/tf-converter.node.js
@tensorflow/tfjs-data/package.json @tensorflow/tfjs-data/dist/tf-data.node.js
@tensorflow/tfjs-backend-cpu/package.json @tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.node.js
@tensorflow/tfjs-backend-webgl/package.json @tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.node.js
@tensorflow/tfjs-backend-webgpu/package.json @tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.node.js
@tensorflow/tfjs-backend-wasm/package.json @tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js
@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm
@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm
@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm
webgpu/package.json webgpu/index.js webgpu/dist/linux-x64/dawn.node
nsfwjs/package.json nsfwjs/dist/cjs/index.js nsfwjs/dist/models/package.json
nsfwjs/dist/models/mobilenet_v2/model.min.js nsfwjs/dist/models/mobilenet_v2/group1-shard1of1.min.js
long/package.json long/src/long.js
seedrandom/package.json seedrandom/index.js seedrandom/seedrandom.js seedrandom/lib/alea.js
seedrandom/lib/tychei.js seedrandom/lib/xor128.js seedrandom/lib/xor4096.js seedrandom/lib/xorshift7.js
seedrandom/lib/xorwow.js
jpeg-js/package.json jpeg-js/index.js jpeg-js/lib/decoder.js jpeg-js/lib/encoder.js
pngjs/package.json pngjs/lib/bitmapper.js pngjs/lib/bitpacker.js pngjs/lib/chunkstream.js
pngjs/lib/constants.js pngjs/lib/crc.js pngjs/lib/filter-pack.js pngjs/lib/filter-parse-async.js
pngjs/lib/filter-parse-sync.js pngjs/lib/filter-parse.js pngjs/lib/format-normaliser.js
pngjs/lib/interlace.js pngjs/lib/packer-async.js pngjs/lib/packer-sync.js pngjs/lib/packer.js
pngjs/lib/paeth-predictor.js pngjs/lib/parser-async.js pngjs/lib/parser-sync.js pngjs/lib/parser.js
pngjs/lib/png-sync.js pngjs/lib/png.js pngjs/lib/sync-inflate.js pngjs/lib/sync-reader.js
`.split(/\s+/).filter(Boolean);

const SCRIPTS = ["scripts/gpu-check.mjs", "scripts/lib/webgpu.mjs", "scripts/bench-engine.mjs"];
/** Libraries NVIDIA's Vulkan driver needs that the device image may lack (README: "bring the loaders"). */
const LIBS = [
  { name: "libvulkan.so.1", from: [path.join(MESA_DIR, "lib", "libvulkan.so.1"), "/usr/lib/x86_64-linux-gnu/libvulkan.so.1"] },
  { name: "libGLdispatch.so.0", from: ["/usr/lib/x86_64-linux-gnu/libGLdispatch.so.0", "/lib/x86_64-linux-gnu/libGLdispatch.so.0"] },
];

const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const fail = (m) => {
  console.error(`gpu-bundle: ${m}`);
  process.exit(1);
};

if (args.includes("--trace")) {
  trace();
  process.exit(0);
}
if (process.platform !== "linux" || process.arch !== "x64") fail(`the device machine is linux-x64; this is ${process.platform}-${process.arch}, whose node binary would not run there`);

// ---- the kernel build --------------------------------------------------------------------------
const dist = path.join(root, "kernel", "dist");
const testFiles = WEBGPU_CI_TESTS.map((t) => `kernel/dist/test/${t}.test.js`);
for (const f of ["kernel/dist/src/index.js", ...testFiles]) if (!existsSync(path.join(root, f))) fail(`${f} is missing: build the kernel first (node node_modules/typescript/bin/tsc -p kernel/tsconfig.json)`);

rmSync(BUNDLE, { recursive: true, force: true });
const app = path.join(BUNDLE, "app");
mkdirSync(path.join(BUNDLE, "lib"), { recursive: true });
const parts = {};
const add = (part, bytes) => (parts[part] = (parts[part] ?? 0) + bytes);
function copy(rel, part, { from = path.join(root, rel) } = {}) {
  const to = path.join(app, rel);
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(from, to);
  add(part, statSync(to).size);
}
function xz(from, to, part) {
  execFileSync("sh", ["-c", 'nice -n 10 xz -9 -T1 -c "$1" > "$2"', "sh", from, to]);
  add(part, statSync(to).size);
}
function walk(dir, keep) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, keep));
    else if (keep(p)) out.push(p);
  }
  return out;
}

// ---- node -------------------------------------------------------------------------------------
const nodeBin = realpathSync(process.execPath);
console.log(`node ${process.version} (${nodeBin}, ${mib(statSync(nodeBin).size)}) → node.xz …`);
xz(nodeBin, path.join(BUNDLE, "node.xz"), "node.xz");
const glibc = spawnSync("sh", ["-c", `objdump -T "${nodeBin}" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1`], { encoding: "utf8" }).stdout.trim();

// ---- node_modules -----------------------------------------------------------------------------
for (const f of NODE_MODULES_FILES) {
  const from = path.join(root, "node_modules", f);
  if (!existsSync(from)) fail(`node_modules/${f} is missing (npm ci; webgpu is an optional dependency installed on linux-x64)`);
  if (XZ_FILES.has(f)) {
    mkdirSync(path.dirname(path.join(app, "node_modules", f)), { recursive: true });
    xz(from, path.join(app, "node_modules", `${f}.xz`), "dawn.node.xz");
  } else {
    copy(path.join("node_modules", f), f.startsWith("nsfwjs/") ? "MobileNetV2 model (nsfwjs)" : "node_modules (trimmed)");
  }
}

// ---- camlab -----------------------------------------------------------------------------------
for (const s of SCRIPTS) copy(s, "scripts");
writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "camlab-gpu-bundle", private: true }, null, 2) + "\n");
copy("kernel/package.json", "kernel (dist, src, assets)");
for (const f of walk(path.join(dist, "src"), (p) => /\.(js|json)$/.test(p))) copy(path.relative(root, f), "kernel (dist, src, assets)");
const testHelpers = walk(path.join(dist, "test"), (p) => p.endsWith(".js") && !p.endsWith(".test.js")).map((f) => path.relative(root, f));
for (const f of [...testFiles, ...testHelpers]) copy(f, "kernel (dist, src, assets)");
for (const f of walk(path.join(root, "kernel", "src"), (p) => p.endsWith(".ts"))) copy(path.relative(root, f), "kernel (dist, src, assets)");
copy("kernel/assets/images/chelsea.png", "kernel (dist, src, assets)");

// ---- Vulkan loader and libGLdispatch ------------------------------------------------------------
for (const l of LIBS) {
  const from = l.from.find((f) => existsSync(f));
  if (!from) fail(`${l.name} not found (${l.from.join(", ")}); for the loader: node scripts/lib/webgpu.mjs --install`);
  copyFileSync(realpathSync(from), path.join(BUNDLE, "lib", l.name));
  add("lib (Vulkan loader, libGLdispatch)", statSync(path.join(BUNDLE, "lib", l.name)).size);
}

// ---- run.sh -----------------------------------------------------------------------------------
writeFileSync(path.join(BUNDLE, "run.sh"), RUN_SH());
chmodSync(path.join(BUNDLE, "run.sh"), 0o755);
add("run.sh", statSync(path.join(BUNDLE, "run.sh")).size);

const total = Object.values(parts).reduce((a, b) => a + b, 0);
const manifest = [
  `camlab gpu-check bundle, made ${new Date().toISOString()} on ${os.hostname()} from ${gitHead()}`,
  `node ${process.version} linux-x64 (needs ${glibc || "glibc ?"}, libstdc++); tfjs 4.22.0, webgpu ${pkgVersion("webgpu")}, nsfwjs ${pkgVersion("nsfwjs")}`,
  "",
  ...Object.entries(parts).map(([k, v]) => `${mib(v).padStart(10)}  ${k}`),
  `${mib(total).padStart(10)}  total (limit ${LIMIT_MIB} MiB)`,
];
writeFileSync(path.join(BUNDLE, "MANIFEST.txt"), manifest.join("\n") + "\n");
console.log(`\n${path.relative(process.cwd(), BUNDLE) || "."}/\n${manifest.slice(3).join("\n")}`);
if (total > LIMIT_MIB * 2 ** 20) fail(`the bundle is ${mib(total)}, over ${LIMIT_MIB} MiB`);
console.log(`\non the device machine: carry [".gpu-bundle"], command: bash .gpu-bundle/run.sh`);

function pkgVersion(p) {
  try {
    return JSON.parse(readFileSync(path.join(root, "node_modules", p, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}
function gitHead() {
  const r = spawnSync("git", ["-C", root, "describe", "--always", "--dirty"], { encoding: "utf8" });
  return r.status === 0 ? `commit ${r.stdout.trim()}` : "an unknown commit";
}

/** Runs gpu-check under strace and compares the node_modules files it opened with NODE_MODULES_FILES. */
function trace() {
  const log = path.join(os.tmpdir(), `camlab-gpu-bundle-trace-${process.pid}.txt`);
  console.log("running gpu-check --allow-software --tests ci --runs 1 --scorecam-runs 0 under strace (minutes on llvmpipe) …");
  const r = spawnSync("strace", ["-f", "--seccomp-bpf", // stat calls too: require.resolve only looks files up
    "-e", "trace=openat,open,stat,lstat,newfstatat,statx", "-e", "status=successful", "-o", log,
    process.execPath, path.join(root, "scripts", "gpu-check.mjs"), "--allow-software", "--tests", "ci", "--runs", "1", "--scorecam-runs", "0", "--out", path.join(os.tmpdir(), "camlab-gpu-bundle-trace-out")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (r.error) fail(`strace: ${r.error.message} (apt-get install strace)`);
  const prefix = path.join(root, "node_modules") + "/";
  const opened = new Set();
  for (const m of readFileSync(log, "utf8").matchAll(/(?:open|stat|statx|lstat|newfstatat)(?:at)?\([^"]*"([^"]+)"/g)) {
    if (m[1].startsWith(prefix) && existsSync(m[1]) && statSync(m[1]).isFile()) opened.add(m[1].slice(prefix.length));
  }
  rmSync(log, { force: true });
  const listed = new Set(NODE_MODULES_FILES);
  const missing = [...opened].filter((f) => !listed.has(f)).sort();
  const unused = [...listed].filter((f) => !opened.has(f)).sort();
  console.log(`gpu-check exit ${r.status}; ${opened.size} node_modules files opened`);
  console.log(`opened but not in NODE_MODULES_FILES (add them): ${missing.length ? "\n  " + missing.join("\n  ") : "none"}`);
  console.log(`in NODE_MODULES_FILES but not opened: ${unused.length ? "\n  " + unused.join("\n  ") : "none"}`);
}

function RUN_SH() {
  return `#!/usr/bin/env bash
# camlab gpu-check on a machine without Node.js (made by scripts/gpu-bundle.mjs; see MANIFEST.txt).
#   bash run.sh [gpu-check options]     e.g. --allow-software, --runs 7, --deadline 540, --skip-bench
# Unpacks node and dawn.node into \${CAMLAB_GPU_WORK:-/tmp/camlab-gpu} (needs xz, or python3 with lzma),
# adds the bundled Vulkan loader / libGLdispatch when ldconfig does not list them
# (CAMLAB_BUNDLED_LIBS=always: use them regardless), points the loader at NVIDIA's Vulkan driver
# when no ICD is installed in the usual folders, and runs scripts/gpu-check.mjs. Reports go to
# \$OUT (default \$work/out): gpu-check.md, gpu-check.json, run.log.
set -u
here=$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)
work=\${CAMLAB_GPU_WORK:-/tmp/camlab-gpu}
out=\${OUT:-$work/out}
rm -rf "$work" && mkdir -p "$work/bin" "$work/lib" "$out" || exit 2

unpack() { # unpack FILE.xz DEST
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2" && return 0; fi
  for py in python3 /usr/bin/python3 /opt/torch/.venv/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    "$py" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"), 1 << 20)' "$1" "$2" && return 0
  done
  echo "run.sh: cannot unpack $1: neither xz nor a python3 with lzma is here" >&2
  return 1
}
t0=$(date +%s)
unpack "$here/node.xz" "$work/bin/node" && chmod +x "$work/bin/node" || exit 2
cp -R "$here/app" "$work/app" || exit 2
for f in $(cd "$work/app" && find node_modules -name '*.xz'); do
  unpack "$work/app/$f" "$work/app/\${f%.xz}" && rm -f "$work/app/$f" || exit 2
done
echo "[run.sh] unpacked node $("$work/bin/node" --version) and the app into $work in $(( $(date +%s) - t0 )) s"

ldconfig_bin=$(command -v ldconfig || ls /sbin/ldconfig /usr/sbin/ldconfig 2>/dev/null | head -1)
have_lib() { [ -n "$ldconfig_bin" ] && "$ldconfig_bin" -p 2>/dev/null | grep -q "^[[:space:]]*$1 ("; }
for l in "$here"/lib/*; do
  n=$(basename "$l")
  if [ "\${CAMLAB_BUNDLED_LIBS:-auto}" = always ] || ! have_lib "$n"; then
    cp "$l" "$work/lib/$n" && echo "[run.sh] using the bundled $n (the system has none)"
  else
    echo "[run.sh] using the system's $n"
  fi
done
libpath="$work/lib"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && libpath="$libpath:$d"; done
export LD_LIBRARY_PATH="$libpath\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

if [ -z "\${VK_ICD_FILENAMES:-}\${VK_DRIVER_FILES:-}" ]; then
  if ! ls /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json /etc/xdg/vulkan/icd.d/*.json >/dev/null 2>&1; then
    for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
      if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; echo "[run.sh] Vulkan driver: $icd"; break; fi
    done
  fi
fi
echo "[run.sh] VK_ICD_FILENAMES=\${VK_ICD_FILENAMES:-} LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

export PATH="$work/bin:$PATH" NODE_PATH="$work/app/node_modules"
cd "$work/app" || exit 2
# Options given to run.sh come first: gpu-check takes the first of each.
set -o pipefail
"$work/bin/node" scripts/gpu-check.mjs "$@" --tests ci --runs 3 --scorecam-runs 1 --deadline 480 --out "$out" 2>&1 | tee "$out/run.log"
rc=$?
echo "[run.sh] exit $rc after $(( $(date +%s) - t0 )) s; reports in $out"
exit $rc
`;
}
