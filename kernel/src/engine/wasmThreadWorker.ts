// Runs in a worker thread as one of Emscripten's pthreads for tfjs-backend-wasm's threaded SIMD
// build (see wasmThreads.ts). The package ships the pthread worker only as a string
// (`wasmWorkerContents`) that its loader turns into a Blob URL, which Node's worker_threads cannot
// start; this file is that same script, run from a path. Its template literal turned the script's
// `\n` escapes into real newlines: they are escaped back exactly as the stock loader does. The
// script keeps its Node branch (parentPort, require, importScripts by fs + eval) as shipped.
import * as path from "node:path";

const pkgDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
const { wasmWorkerContents } = require(path.join(pkgDir, "wasm-out", "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
// A direct eval: the script needs this module's `require` and `__filename` in scope.
eval(wasmWorkerContents.replace(/\n/g, "\\n"));
