// WebGPU for camlab's tests: the Vulkan driver for machines without a GPU, the adapter probe, and
// which engine tests run on webgpu. Used by `npm test` (suite kernel-webgpu), `npm run gpu-check`,
// scripts/lib/setup.mjs and .ci/run.
//
// Dawn (npm `webgpu`) reaches the GPU through Vulkan. Debian bookworm's own Mesa (22.3) gives it
// no adapter; Mesa 25 from bookworm-backports does (llvmpipe: Vulkan on the CPU). Installing that
// system-wide would also upgrade the OpenGL stack Chromium loads (libgl1-mesa-dri, libegl-mesa0,
// libgbm1, libdrm*), so only its Vulkan driver is unpacked, into .mesa-vulkan/ in the checkout,
// and only the webgpu test run points at it (VK_ICD_FILENAMES, LD_LIBRARY_PATH). The system keeps
// its own Mesa. On a machine with a GPU and its Vulkan driver none of this is used.
//
//   node scripts/lib/webgpu.mjs             which adapter Dawn finds, and with which environment
//   node scripts/lib/webgpu.mjs --install   unpack Mesa's Vulkan driver (root, Debian, apt), then probe
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const MESA_DIR = path.join(repoRoot, ".mesa-vulkan");
const MESA_LIB = path.join(MESA_DIR, "lib");
const MESA_ICD = path.join(MESA_DIR, "lvp_icd.json");
const MESA_MARKER = path.join(MESA_DIR, "installed.json");
/** Unpacked from the archive; everything else mesa-vulkan-drivers needs comes from the system. */
const UNPACKED = ["mesa-vulkan-drivers", "libdrm2", "libvulkan1"];
/** Dependencies of mesa-vulkan-drivers that lavapipe does not load (the radeon driver's). */
const NOT_NEEDED = new Set(["libdrm-amdgpu1"]);

// ---------------------------------------------------------------------------------------------
// Which engine tests run on webgpu (paths under kernel/dist/test, without .test.js).

/** All engine suites: what `npm run gpu-check` runs on a real GPU. */
export const ENGINE_TEST_DIRS = ["engine", "hooks", "cam", "metrics", "models", "data", "session", "views"];
/** Tests of wasm's own kernels: nothing to learn from them on webgpu. */
const WASM_ONLY = ["engine/wasmKernels"];
/**
 * The representative subset CI runs on llvmpipe (15 files, measured on the shared 2-core machines at
 * load average 4: 105 s with an empty shader cache, 60-70 s with a full one, of which 34 s are
 * session/residency; the same files take 13 s on wasm). Every hook kind
 * and every CAM method runs in it, and engine/webgpuParity compares them all with wasm. Left out:
 * hooks/backward (finite differences: 65 s on llvmpipe), models/mobilenet (80 s: shaders for the
 * whole MobileNetV2), data/datasets (no tensor work worth repeating), session/soak (pages every
 * MobileNetV2 layer: about 4 minutes on llvmpipe) and models/teaching: on llvmpipe it crashes
 * (SIGSEGV in lavapipe's vkCreateDescriptorPool: tfjs-layers' fit() without callbacks never yields
 * to the event loop, so Dawn never retires finished work and lavapipe's memory mappings reach
 * vm.max_map_count); with a yield per batch it trains — one Adam step agrees with wasm to 6e-5 —
 * but 16 epochs of Adam amplify float noise and its pointing-game threshold (≥ 0.9) fails (0.62).
 */
export const WEBGPU_CI_TESTS = [
  "engine/backend",
  "engine/describe",
  "engine/batchNormGradient",
  "engine/webgpuResidency",
  "engine/webgpuSyncReads",
  "engine/webgpuAdapter",
  "engine/webgpuParity",
  "hooks/lifecycle",
  "cam/formulas",
  "cam/behaviour",
  "cam/layerMaps",
  "cam/smoothing",
  "cam/tokens",
  "cam/multiInput",
  "metrics/metrics",
  "data/image",
  "session/session",
  "session/residency",
  "views/views",
];
/** Preloaded into the webgpu run: a synchronous read from camlab's engine or session code fails at once. */
export const SYNC_READ_GUARD = path.join(repoRoot, "kernel", "dist", "test", "engine", "webgpuSyncGuard.js");

/** Test files for the webgpu run: the CI subset, or (`all`) every engine suite. */
export function webgpuTestFiles({ all = process.env.CAMLAB_WEBGPU_TESTS === "all" } = {}) {
  const testRoot = path.join(repoRoot, "kernel", "dist", "test");
  const file = (t) => path.join(testRoot, `${t}.test.js`);
  if (!all) return WEBGPU_CI_TESTS.map(file).filter(existsSync);
  const files = [];
  for (const dir of ENGINE_TEST_DIRS) {
    const d = path.join(testRoot, dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) {
      if (f.endsWith(".test.js") && !WASM_ONLY.includes(`${dir}/${f.slice(0, -".test.js".length)}`)) files.push(path.join(d, f));
    }
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Environments and the adapter probe.

/**
 * The environment that makes Dawn use the unpacked llvmpipe driver (and nothing else). Compiled
 * shaders are cached next to it: compiling them is a large part of what the webgpu tests take on
 * llvmpipe (CI subset: 105 s with an empty cache, 60-70 s with a full one, on a loaded machine).
 */
export function mesaEnv(base = process.env) {
  return {
    ...base,
    VK_ICD_FILENAMES: MESA_ICD,
    LD_LIBRARY_PATH: [MESA_LIB, base.LD_LIBRARY_PATH].filter(Boolean).join(":"),
    MESA_SHADER_CACHE_DIR: base.MESA_SHADER_CACHE_DIR ?? path.join(MESA_DIR, "shader-cache"),
  };
}

/** Only the unpacked Vulkan loader, with the system's drivers: for a GPU machine that lacks libvulkan1. */
export function loaderOnlyEnv(base = process.env) {
  const env = { ...base, LD_LIBRARY_PATH: [MESA_LIB, base.LD_LIBRARY_PATH].filter(Boolean).join(":") };
  delete env.VK_ICD_FILENAMES;
  return env;
}

export function mesaInstalled() {
  return existsSync(MESA_MARKER) && existsSync(MESA_ICD) && existsSync(path.join(MESA_LIB, "libvulkan_lvp.so"));
}

const PROBE = `
const { create, globals } = await import(process.argv[1]);
Object.assign(globalThis, globals);
const a = await create([]).requestAdapter({ powerPreference: "high-performance" });
const i = a?.info ?? {};
console.log("ADAPTER " + JSON.stringify(a == null ? null : {
  name: i.description || [i.vendor, i.architecture, i.device].filter(Boolean).join(" "),
  vendor: i.vendor, architecture: i.architecture, device: i.device,
  software: i.isFallbackAdapter === true || i.architecture === "software" || /llvmpipe|lavapipe|swiftshader/i.test(i.description + " " + i.device),
}));
process.exit(0);
`;

/**
 * Asks Dawn for an adapter in a child process (the library search path is fixed when a process
 * starts). Returns { adapter } or { adapter: null, reason }.
 */
export function probeAdapter(env = process.env) {
  let url;
  try {
    url = pathToFileURL(createRequire(path.join(repoRoot, "kernel", "package.json")).resolve("webgpu")).href;
  } catch {
    return { adapter: null, reason: "npm package `webgpu` is not installed (an optional dependency of camlab: npm ci installs it on linux-x64, linux-arm64, darwin and win32)" };
  }
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", PROBE, url], { env, encoding: "utf8", timeout: 60_000 });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("ADAPTER "));
  const adapter = line ? JSON.parse(line.slice("ADAPTER ".length)) : null;
  if (adapter) return { adapter };
  const said = `${r.stderr ?? ""}`.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("at ")).slice(0, 2).join(" ");
  return { adapter: null, reason: r.error ? `probe failed: ${r.error.message}` : `Dawn found no adapter${said ? `: ${said}` : ""}` };
}

/**
 * The environment for running camlab on webgpu: the machine's own Vulkan driver when Dawn finds an
 * adapter with it; else the system's driver with the unpacked Vulkan loader; else the unpacked
 * llvmpipe. Returns { env, adapter, via } or { env: null, reason }.
 */
export function findWebgpuEnv(base = process.env) {
  const reasons = [];
  const own = probeAdapter(base);
  if (own.adapter) return { env: base, adapter: own.adapter, via: "the machine's Vulkan driver" };
  reasons.push(`with the machine's Vulkan setup: ${own.reason}`);
  if (!mesaInstalled()) {
    reasons.push(`Mesa's llvmpipe is not unpacked in ${path.relative(repoRoot, MESA_DIR)}/ (as root on Debian: node scripts/lib/webgpu.mjs --install)`);
    return { env: null, reason: reasons.join("; ") };
  }
  const loader = probeAdapter(loaderOnlyEnv(base));
  if (loader.adapter && !loader.adapter.software) return { env: loaderOnlyEnv(base), adapter: loader.adapter, via: "the machine's Vulkan driver, with the Vulkan loader from .mesa-vulkan/" };
  const mesa = probeAdapter(mesaEnv(base));
  if (mesa.adapter) return { env: mesaEnv(base), adapter: mesa.adapter, via: `Mesa's llvmpipe from .mesa-vulkan/ (${installedVersions()})` };
  reasons.push(`with .mesa-vulkan/: ${mesa.reason}`);
  return { env: null, reason: reasons.join("; ") };
}

function installedVersions() {
  try {
    const m = JSON.parse(readFileSync(MESA_MARKER, "utf8"));
    return Object.entries(m.packages).map(([p, v]) => `${p} ${v}`).join(", ");
  } catch {
    return "versions unknown";
  }
}

// ---------------------------------------------------------------------------------------------
// Unpacking Mesa's Vulkan driver (Debian, as root).

function osRelease() {
  try {
    return Object.fromEntries(readFileSync("/etc/os-release", "utf8").split("\n").filter((l) => l.includes("="))
      .map((l) => { const i = l.indexOf("="); return [l.slice(0, i), l.slice(i + 1).replace(/^"|"$/g, "")]; }));
  } catch {
    return {};
  }
}

/** The Debian mirror and keyring the machine's apt already uses for `codename`. */
function debianMirror(codename) {
  const found = { uri: null, signedBy: null };
  const files = [];
  if (existsSync("/etc/apt/sources.list")) files.push("/etc/apt/sources.list");
  if (existsSync("/etc/apt/sources.list.d")) for (const f of readdirSync("/etc/apt/sources.list.d")) if (/\.(list|sources)$/.test(f)) files.push(path.join("/etc/apt/sources.list.d", f));
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    if (f.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (k) => stanza.match(new RegExp(`^${k}:\\s*(.+)$`, "mi"))?.[1].trim();
        if (!/\bdeb\b/.test(field("Types") ?? "") || !(field("Suites") ?? "").split(/\s+/).includes(codename)) continue;
        found.uri ??= field("URIs")?.split(/\s+/)[0] ?? null;
        found.signedBy ??= field("Signed-By") ?? null;
      }
    } else {
      for (const line of text.split("\n")) {
        const m = line.match(/^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s/);
        if (m && m[3] === codename) {
          found.uri ??= m[2];
          found.signedBy ??= m[1]?.match(/signed-by=(\S+)/)?.[1] ?? null;
        }
      }
    }
  }
  found.uri ??= "http://deb.debian.org/debian";
  if (found.signedBy == null && existsSync("/usr/share/keyrings/debian-archive-keyring.gpg")) found.signedBy = "/usr/share/keyrings/debian-archive-keyring.gpg";
  return found;
}

/**
 * Unpacks Mesa's lavapipe (llvmpipe Vulkan driver), libdrm2 and the Vulkan loader into
 * .mesa-vulkan/, installing from the system's apt only the ordinary libraries it links that are
 * missing (libLLVM, libxcb-*, …: new packages, never upgrades). Never throws: returns
 * { ok, reason } and logs what it did. Needs root and apt on Debian.
 */
export function ensureMesaVulkan({ log = (m) => process.stdout.write(`[camlab] ${m}\n`) } = {}) {
  if (mesaInstalled()) return { ok: true, reason: "already unpacked" };
  const os = osRelease();
  const arch = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" }[process.arch];
  const skip = (reason) => {
    log(`webgpu tests: not unpacking Mesa's Vulkan driver: ${reason}; the kernel-webgpu suite will skip unless the machine has a Vulkan driver`);
    return { ok: false, reason };
  };
  if (process.platform !== "linux" || !arch) return skip("only done on Linux x86-64/arm64");
  if (os.ID !== "debian" || !os.VERSION_CODENAME) return skip(`only done on Debian (this is ${os.PRETTY_NAME ?? "unknown"})`);
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return skip("needs root and apt-get");
  const codename = os.VERSION_CODENAME;
  // Mesa >= 24 is in Debian's main archive from trixie on; bookworm has it in backports only.
  const target = codename === "bookworm" ? "bookworm-backports" : codename;
  const work = path.join(MESA_DIR, "download");
  try {
    rmSync(MESA_DIR, { recursive: true, force: true });
    for (const d of ["apt/lists/partial", "apt/cache/archives/partial", "debs", "root"]) mkdirSync(path.join(work, d), { recursive: true });
    const mirror = debianMirror(codename);
    const signed = mirror.signedBy ? ` [signed-by=${mirror.signedBy}]` : "";
    const suites = [...new Set([codename, target])];
    writeFileSync(path.join(work, "apt", "sources.list"), suites.map((s) => `deb${signed} ${mirror.uri} ${s} main\n`).join(""));
    // A private sources list, lists folder and cache: the machine's apt configuration is not touched.
    const apt = [
      "-o", `Dir::Etc::sourcelist=${path.join(work, "apt", "sources.list")}`, "-o", "Dir::Etc::sourceparts=-",
      "-o", `Dir::State::Lists=${path.join(work, "apt", "lists")}`, "-o", `Dir::Cache=${path.join(work, "apt", "cache")}`,
      "-o", "APT::Sandbox::User=root",
    ];
    log(`webgpu tests: unpacking Mesa's Vulkan driver (llvmpipe) from ${mirror.uri} ${target} into ${path.relative(repoRoot, MESA_DIR)}/`);
    execFileSync("apt-get", [...apt, "update", "-qq"], { stdio: ["ignore", "ignore", "inherit"] });
    execFileSync("apt-get", [...apt, "download", "-qq", "-t", target, ...UNPACKED], { cwd: path.join(work, "debs"), stdio: ["ignore", "ignore", "inherit"] });
    const debs = readdirSync(path.join(work, "debs")).filter((f) => f.endsWith(".deb")).map((f) => path.join(work, "debs", f));
    const field = (deb, name) => execFileSync("dpkg-deb", ["-f", deb, name], { encoding: "utf8" }).trim();
    const versions = Object.fromEntries(debs.map((d) => [field(d, "Package"), field(d, "Version")]));
    const driverDeb = debs.find((d) => field(d, "Package") === "mesa-vulkan-drivers");
    if (!driverDeb) throw new Error("mesa-vulkan-drivers was not downloaded");
    // The libraries it links that the archive does not give us: take them from the system's apt.
    const needed = field(driverDeb, "Depends").split(",").map((d) => d.trim().split(/[\s|(]/)[0]).filter((p) => p && !UNPACKED.includes(p) && !NOT_NEEDED.has(p));
    const missing = needed.filter((p) => {
      const q = spawnSync("dpkg-query", ["-W", "-f=${db:Status-Status}", p], { encoding: "utf8" });
      return q.stdout.trim() !== "installed";
    });
    if (missing.length > 0) {
      log(`webgpu tests: installing libraries lavapipe links: ${missing.join(" ")}`);
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: ["ignore", "ignore", "inherit"], env });
    }
    for (const d of debs) execFileSync("dpkg-deb", ["-x", d, path.join(work, "root")]);
    // Keep only what lavapipe needs: the driver, libdrm and the Vulkan loader.
    const libs = path.join(work, "root", "usr", "lib", arch);
    mkdirSync(MESA_LIB, { recursive: true });
    for (const f of readdirSync(libs)) {
      if (/^(libvulkan_lvp\.so|libvulkan\.so\.1.*|libdrm\.so\.2.*)$/.test(f)) renameSync(path.join(libs, f), path.join(MESA_LIB, f));
    }
    writeFileSync(MESA_ICD, JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: path.join(MESA_LIB, "libvulkan_lvp.so"), api_version: "1.4.305" } }, null, 2) + "\n");
    writeFileSync(MESA_MARKER, JSON.stringify({ packages: versions, from: `${mirror.uri} ${target}`, date: new Date().toISOString() }, null, 2) + "\n");
    rmSync(work, { recursive: true, force: true });
    const p = probeAdapter(mesaEnv());
    if (p.adapter) log(`webgpu tests: adapter ${p.adapter.name}`);
    else if (/not installed/.test(p.reason)) log("webgpu tests: unpacked; the adapter can be probed once npm ci has installed `webgpu`");
    else return skip(`unpacked, but ${p.reason}`);
    return { ok: true, reason: "unpacked" };
  } catch (e) {
    rmSync(MESA_DIR, { recursive: true, force: true });
    return skip(`it failed: ${String(e.message ?? e).split("\n")[0]}`);
  }
}

// ---------------------------------------------------------------------------------------------

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--install")) {
    // Exit status: whether the driver is unpacked (CI goes on without it: the suite then skips).
    process.exit(ensureMesaVulkan().ok ? 0 : 1);
  }
  const w = findWebgpuEnv();
  if (w.env) {
    console.log(`WebGPU adapter: ${w.adapter.name}${w.adapter.software ? " (software, on the CPU)" : ""}\n  via ${w.via}`);
    if (w.env !== process.env) console.log(`  environment: ${["VK_ICD_FILENAMES", "LD_LIBRARY_PATH"].filter((k) => w.env[k]).map((k) => `${k}=${w.env[k]}`).join(" ")}`);
  } else {
    console.log(`No WebGPU adapter: ${w.reason}`);
    process.exitCode = 1;
  }
}
