// Bundles the portable views (src/portable/widget.ts: camlab's views as an anywidget ES module)
// into one self-contained ES module plus its CSS, in kernel/assets/portable/, where the kernel
// reads them to send as a widget's `_esm` and `_css` (kernel/src/views/portable.ts).
// Run by `npm run build -w camlab-extension` after tsc (it bundles lib/, the compiled sources).
//
// One file, no chunks: anywidget imports the module from a Blob URL, which has no base to load
// chunks from. plotly.js is left out (see src/portable/noPlotly.ts).
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const lib = path.join(here, "lib", "extension", "src");
const outDir = path.join(here, "..", "kernel", "assets", "portable");
const rspack = require("@rspack/core");

const t0 = Date.now();
mkdirSync(outDir, { recursive: true });
const compiler = rspack({
  mode: "production",
  devtool: false,
  context: here,
  target: "web",
  entry: path.join(lib, "portable", "widget.js"),
  experiments: { outputModule: true },
  output: { path: outDir, filename: "camlab-views.mjs", module: true, library: { type: "module" }, asyncChunks: false, chunkFormat: "module" },
  resolve: { alias: { "plotly.js-dist-min": path.join(lib, "portable", "noPlotly.js") } },
  optimization: { minimize: true, splitChunks: false, runtimeChunk: false },
  performance: { hints: false },
  stats: "errors-warnings",
});
const stats = await new Promise((resolve, reject) => compiler.run((err, s) => (err ? reject(err) : compiler.close(() => resolve(s)))));
if (stats.hasErrors()) {
  console.error(stats.toString({ all: false, errors: true, colors: false }));
  process.exit(1);
}
// The views' CSS, as the extension's style/ has it (index.css is the whole of it today).
writeFileSync(path.join(outDir, "camlab-views.css"), readFileSync(path.join(here, "style", "index.css"), "utf8"));
const size = statSync(path.join(outDir, "camlab-views.mjs")).size;
console.log(`camlab-extension: portable views bundled in ${((Date.now() - t0) / 1000).toFixed(1)} s -> kernel/assets/portable/camlab-views.mjs (${(size / 1024).toFixed(0)} KB)`);
