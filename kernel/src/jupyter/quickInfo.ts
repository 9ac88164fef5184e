// What Shift+Tab (inspect_request) shows: the signature, then the doc comment laid out like a
// Python docstring — parameters, returns, example under their own headings. tslab's printer
// drops the names of @returns and @example, so an example ran into the returns text.
import type * as ts from "typescript";

function text(parts: readonly ts.SymbolDisplayPart[] | undefined): string {
  return (parts ?? []).map((p) => p.text).join("");
}

const indent = (s: string, by = "    ") => s.split("\n").map((l) => (l ? by + l : l)).join("\n");

/**
 * Plain text for a TypeScript quick info: the signature, the documentation, then "Parameters",
 * "Returns", "Example" and other tags as sections. Empty when there is nothing at the cursor.
 * @example formatQuickInfo(languageService.getQuickInfoAtPosition(file, pos)!)
 */
export function formatQuickInfo(info: ts.QuickInfo): string {
  const out: string[] = [];
  const signature = text(info.displayParts);
  if (signature) out.push(signature);
  const docs = text(info.documentation).trim();
  if (docs) out.push(docs);
  const params: string[] = [];
  const sections: string[] = [];
  for (const tag of info.tags ?? []) {
    const body = text(tag.text).trim();
    switch (tag.name) {
      case "param": {
        // "name description": the first word is the parameter's name.
        const m = /^(\S+)\s*([\s\S]*)$/.exec(body);
        if (m) params.push(`${m[1]}\n${indent(m[2].replace(/\n\s*/g, " ").trim() || "(no description)")}`);
        break;
      }
      case "returns":
      case "return":
        if (body) sections.push(`Returns\n${indent(body.replace(/\n\s*/g, " "))}`);
        break;
      case "example":
        if (body) sections.push(`Example\n${indent(body.replace(/^```\w*\n?|\n?```$/g, ""))}`);
        break;
      default:
        sections.push(`@${tag.name}${body ? ` ${body}` : ""}`);
    }
  }
  if (params.length) out.push(`Parameters\n${indent(params.join("\n"))}`);
  out.push(...sections);
  return out.join("\n\n");
}
