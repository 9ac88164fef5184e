#!/usr/bin/env node
// camlab command line: `camlab kernel <connection-file>`, `camlab install`, `camlab uninstall`.
"use strict";
const path = require("path");
const fs = require("fs");

const cli = path.join(__dirname, "..", "dist", "src", "jupyter", "cli.js");
if (!fs.existsSync(cli)) {
  console.error(`camlab: ${cli} is missing: build the package first (npm run build in ${path.dirname(__dirname)})`);
  process.exit(2);
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => {
    if (code >= 0) process.exitCode = code;
  });
