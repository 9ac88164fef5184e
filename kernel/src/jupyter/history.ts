// In-memory execution history for history_request (tail / range / search), per kernel process:
// a restarted kernel starts a new, empty history, as its variables are gone too.

export interface HistoryEntry {
  session: number;
  line: number;
  input: string;
  output: string | null;
}

export type HistoryTriple = [number, number, string | [string, string | null]];

export interface HistoryRequest {
  hist_access_type?: unknown;
  output?: unknown;
  session?: unknown;
  start?: unknown;
  stop?: unknown;
  n?: unknown;
  pattern?: unknown;
  unique?: unknown;
}

/** fnmatch-style glob (* ? [..]) → RegExp, as IPython's history search uses. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export class History {
  /** The session number of this process's history (IPython numbers sessions from 1). */
  readonly session = 1;
  private readonly entries: HistoryEntry[] = [];

  add(line: number, input: string): void {
    this.entries.push({ session: this.session, line, input, output: null });
  }

  setOutput(line: number, output: string): void {
    const entry = this.entries.find((e) => e.line === line);
    if (entry) entry.output = output;
  }

  query(req: HistoryRequest): HistoryTriple[] {
    const withOutput = req.output === true;
    const n = typeof req.n === "number" && req.n >= 0 ? Math.floor(req.n) : undefined;
    let found: HistoryEntry[];
    switch (req.hist_access_type) {
      case "tail":
        found = n === undefined ? this.entries.slice() : this.entries.slice(Math.max(0, this.entries.length - n));
        break;
      case "range": {
        // Session 0 (or a negative offset of 0) means "this session"; other sessions are not kept.
        const session = typeof req.session === "number" ? req.session : 0;
        if (session !== 0 && session !== this.session) return [];
        const start = typeof req.start === "number" ? req.start : 1;
        const stop = typeof req.stop === "number" ? req.stop : Infinity;
        found = this.entries.filter((e) => e.line >= start && e.line < stop);
        break;
      }
      case "search": {
        const pattern = globToRegExp(typeof req.pattern === "string" ? req.pattern : "*");
        found = this.entries.filter((e) => pattern.test(e.input));
        if (req.unique === true) {
          const seen = new Set<string>();
          // Keep the LATEST occurrence of each input, in history order.
          found = found.reverse().filter((e) => !seen.has(e.input) && seen.add(e.input) !== undefined).reverse();
        }
        if (n !== undefined) found = found.slice(Math.max(0, found.length - n));
        break;
      }
      default:
        return [];
    }
    return found.map((e) => [e.session, e.line, withOutput ? [e.input, e.output] : e.input]);
  }
}
