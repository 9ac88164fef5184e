#!/usr/bin/env node
// Rewrites the README's benchmark tables from one bench run's results files: the engine section
// between <!-- bench:engine:start --> and <!-- bench:engine:end -->, and the widget section
// between <!-- bench:browser:start --> and <!-- bench:browser:end --> when a browser results file
// is given or found. Nothing outside the markers changes (other sections of the README belong to
// others); the machine and load line of each run is printed beside its tables.
//
//   node scripts/bench/write-readme-tables.mjs [--engine FILE] [--browser FILE | --no-browser] [--readme README.md]
//
// Defaults: the newest .bench/engine-*.json and .bench/browser-*.json (what scripts/bench-engine.mjs
// and scripts/bench-browser.mjs write). The README names each file by its path in the repository.
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const report = require("./report.cjs");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const opt = (name) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : null);

/** The newest .bench/<kind>-*.json (names sort by their UTC date), or null. */
function newest(kind) {
  const dir = path.join(root, ".bench");
  if (!fs.existsSync(dir)) return null;
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${kind}-`) && f.endsWith(".json")).sort();
  return files.length ? path.join(dir, files[files.length - 1]) : null;
}

const fail = (m) => {
  console.error(`write-readme-tables: ${m}`);
  process.exit(1);
};
const named = (file) => path.relative(root, path.resolve(file)).split(path.sep).join("/");

const engineFile = opt("engine") ?? newest("engine");
if (!engineFile) fail("no engine results: run node scripts/bench-engine.mjs --scaling first, or pass --engine FILE");
const browserFile = args.includes("--no-browser") ? null : opt("browser") ?? newest("browser");
const readmeFile = opt("readme") ?? path.join(root, "README.md");

const engine = JSON.parse(fs.readFileSync(engineFile, "utf8"));
const browser = browserFile ? JSON.parse(fs.readFileSync(browserFile, "utf8")) : null;
let text = fs.readFileSync(readmeFile, "utf8");
try {
  text = report.replaceSection(text, "engine", report.engineSection(engine, { source: named(engineFile), browser }));
  if (browser) text = report.replaceSection(text, "browser", report.browserSection(browser, { source: named(browserFile) }));
} catch (e) {
  fail(e.message);
}
fs.writeFileSync(readmeFile, text);
console.log(`${named(readmeFile)}: engine tables from ${named(engineFile)}${browser ? `, widget table from ${named(browserFile)}` : " (widget table left as it was: no browser results)"}`);
