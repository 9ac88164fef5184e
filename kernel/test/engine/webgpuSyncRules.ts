// What counts as a forbidden synchronous read: where it may not come from, and how to find one in
// source text. Shared by the source scan (webgpuSyncReads.test.ts) and the runtime guard
// (webgpuSyncGuard.ts).
import * as path from "node:path";

/** Folders of kernel/src whose code never reads tensors synchronously. */
export const ASYNC_ONLY_FOLDERS = ["engine", "hooks", "cam", "metrics", "session", "views"] as const;

/** Calls that read a tensor synchronously. */
export const SYNC_READ_CALL = /\.\s*(dataSync|arraySync|bufferSync|readSync)\s*\(|\[\s*["'`](dataSync|arraySync|bufferSync|readSync)["'`]\s*\]/g;

/**
 * The first stack frame in camlab's async-only folders, when the read was not tfjs moving a
 * tensor to another backend (Engine.moveData); null when the read is allowed.
 */
export function syncReadViolation(stack: string): string | null {
  if (/\bmoveData\b/.test(stack)) return null;
  const sep = path.sep === "\\" ? "\\\\" : "/";
  const folders = ASYNC_ONLY_FOLDERS.join("|");
  const frame = new RegExp(`[${sep}](?:dist${sep})?src${sep}(${folders})${sep}[^\\s)]+`);
  for (const line of stack.split("\n")) {
    if (/readCounter\.[jt]s/.test(line)) continue; // the counter's own wrapper
    const m = line.match(frame);
    if (m) return line.trim().replace(/^at /, "");
  }
  return null;
}

/** Source text with comments blanked (line breaks kept), so only code and strings are searched. */
export function codeOnly(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i], d = source[i + 1];
    if (c === "/" && d === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && d === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      // Copied as is; skipped over so that "//" inside a string is not taken for a comment.
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
