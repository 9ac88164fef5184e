// The main job: `npm start -- --no-browser` on this checkout sets up what is missing, prints a
// URL, and that URL serves JupyterLab 4 with the camlab kernel as the default, the notebooks in
// its file browser and the camlab extension loaded; Ctrl-C stops it cleanly.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM, repoRoot, screenshot } from "./harness.mjs";

let child;
after(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

test("npm start prints a URL that serves JupyterLab with the camlab kernel, notebooks and extension", async () => {
  const port = 8900 + Math.floor(Math.random() * 80);
  child = spawn(process.execPath, [path.join(repoRoot, "scripts", "start.mjs"), "--no-browser", "--port", String(port)], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after 240 s; output:\n${out.slice(-3000)}`)), 240_000);
    const poll = setInterval(() => {
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/lab\?token=[0-9a-f]+)/);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(m[1]);
      }
      if (child.exitCode !== null) {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${child.exitCode}:\n${out.slice(-3000)}`));
      }
    }, 100);
  });
  const { origin, searchParams } = new URL(url);
  const token = searchParams.get("token");
  const api = async (p) => {
    const r = await fetch(`${origin}${p}`, { headers: { Authorization: `token ${token}` } });
    assert.equal(r.status, 200, `${p} answers`);
    return r.json();
  };
  const specs = await api("/api/kernelspecs");
  assert.equal(specs.default, "camlab");
  assert.equal(specs.kernelspecs.camlab.spec.display_name, "TypeScript (camlab)");
  const listing = await api("/api/contents");
  const served = listing.content.filter((c) => c.type === "notebook").map((c) => c.name).sort();
  const shipped = readdirSync(path.join(repoRoot, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
  assert.deepEqual(served, shipped, "the file browser root is notebooks/");

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(url);
    // What a user sees: the launcher offers the camlab kernel, the file browser lists the notebooks.
    await page.waitForFunction(() => document.body.dataset.camlabLab === "ready" && !document.getElementById("jupyterlab-splash"), undefined, { timeout: 120_000 });
    await page.waitForSelector('.jp-LauncherCard[title*="TypeScript (camlab)"], .jp-LauncherCard:has-text("TypeScript (camlab)")', { timeout: 60_000 });
    for (const nb of shipped) await page.waitForSelector(`.jp-DirListing-itemText:has-text("${nb}")`, { timeout: 30_000 });
    const federated = await page.evaluate(() => JSON.parse(document.getElementById("jupyter-config-data").textContent).federated_extensions.map((e) => e.name));
    assert.ok(federated.includes("camlab-extension"), `the camlab extension is served (got ${federated})`);
    await screenshot(page, "npm-start");
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
  }
  child.kill("SIGINT");
  const code = await new Promise((r) => child.once("exit", (c) => r(c)));
  assert.equal(code, 0, `Ctrl-C stops npm start cleanly; output:\n${out.slice(-1500)}`);
});
