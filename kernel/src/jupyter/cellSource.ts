// Source rewrites around tslab's converter, each small and syntax-aware (TypeScript's parser):
//   - before conversion: object shorthand `{ labels }` becomes `{ labels: labels }`, which means
//     the same; tslab rewrites references to earlier cells' names (`labels` → `exports.labels`)
//     but not inside a shorthand, so `({ labels })` over an earlier cell's name failed.
//   - after conversion: the preamble `exports.a = exports.b = void 0;` is dropped (so a cell that
//     throws before reaching `a = …` leaves the earlier `a` as it was, as in IPython), and every
//     `await E` becomes `resumed(await E)`, which throws once the cell was interrupted.
//   - after a failure: the declarations the next cells type-check against are those of the names
//     the cell really assigned, plus the earlier ones of the names it did not reach.
import type * as TS from "@tslab/typescript-for-tslab";
import { tslabTypeScript } from "./modules";

const ts = (): typeof TS => tslabTypeScript() as unknown as typeof TS;

interface Edit {
  at: number;
  text: string;
}

function applyEdits(code: string, edits: Edit[]): string {
  // Right to left, so earlier positions stay valid; equal positions keep their order.
  const sorted = edits.map((e, i) => ({ ...e, i })).sort((a, b) => b.at - a.at || b.i - a.i);
  let out = code;
  for (const e of sorted) out = out.slice(0, e.at) + e.text + out.slice(e.at);
  return out;
}

/**
 * `{ a, b = 1 }` → `{ a: a, b: b = 1 }` in object literals (and destructuring assignments), and
 * `export` dropped from top-level declarations; nothing else changes (columns stay put: the
 * keyword is replaced by spaces).
 */
export function expandShorthandProperties(code: string): string {
  const t = ts();
  const sf = t.createSourceFile("cell.ts", code, t.ScriptTarget.Latest, true, t.ScriptKind.TS);
  const edits: Edit[] = [];
  const visit = (node: TS.Node): void => {
    if (t.isShorthandPropertyAssignment(node)) {
      const name = node.name.text;
      edits.push({ at: node.name.getEnd(), text: `: ${name}` });
    }
    t.forEachChild(node, visit);
  };
  visit(sf);
  // `export const x = …` at the top level: every top-level name of a cell is already visible to
  // later cells, and tslab's converter rejects the keyword ("Cannot redeclare exported
  // variable"), so it is dropped. `export default` and `export { … }` are left to the converter.
  const removals: { start: number; end: number }[] = [];
  for (const st of sf.statements) {
    const mods = t.canHaveModifiers(st) ? t.getModifiers(st) ?? [] : [];
    const exp = mods.find((m) => m.kind === t.SyntaxKind.ExportKeyword);
    if (!exp || mods.some((m) => m.kind === t.SyntaxKind.DefaultKeyword)) continue;
    removals.push({ start: exp.getStart(sf), end: exp.getEnd() });
  }
  let out = edits.length ? applyEdits(code, edits) : code;
  if (removals.length) {
    // Positions of removals are in the original code: apply them first, then re-run on the result.
    let stripped = code;
    for (const r of removals.sort((a, b) => b.start - a.start)) stripped = stripped.slice(0, r.start) + " ".repeat(r.end - r.start) + stripped.slice(r.end);
    out = expandShorthandProperties(stripped);
  }
  return out;
}

const PREAMBLE = /^exports\.[^\s=]+ = (?:exports\.[^\s=]+ = )*void 0;$/m;

/**
 * Drops the `exports.x = … = void 0;` preamble (returning the names it listed: the names this
 * cell declares) and wraps every await of the cell's own code (nested functions included) in
 * `resumeFn(await …)`.
 */
export function rewriteCellOutput(output: string, resumeFn: string): { code: string; declaredNames: string[] } {
  let code = output;
  const declaredNames: string[] = [];
  const m = PREAMBLE.exec(code);
  if (m) {
    for (const part of m[0].split(" = ")) if (part.startsWith("exports.")) declaredNames.push(part.slice("exports.".length));
    code = code.slice(0, m.index) + code.slice(m.index + m[0].length);
  }
  const t = ts();
  const sf = t.createSourceFile("cell.js", code, t.ScriptTarget.Latest, true, t.ScriptKind.JS);
  const edits: Edit[] = [];
  const visit = (node: TS.Node): void => {
    if (t.isAwaitExpression(node)) {
      edits.push({ at: node.getStart(sf), text: `${resumeFn}(` });
      edits.push({ at: node.getEnd(), text: ")" });
    }
    t.forEachChild(node, visit);
  };
  visit(sf);
  return { code: edits.length ? applyEdits(code, edits) : code, declaredNames };
}

/** Names a top-level declaration statement of a .d.ts declares. */
function statementNames(t: typeof TS, st: TS.Statement): string[] {
  const names: string[] = [];
  const bind = (n: TS.BindingName): void => {
    if (t.isIdentifier(n)) names.push(n.text);
    else for (const el of n.elements) if (!t.isOmittedExpression(el)) bind(el.name);
  };
  if (t.isVariableStatement(st)) for (const d of st.declarationList.declarations) bind(d.name);
  else if (t.isImportDeclaration(st)) {
    const c = st.importClause;
    if (c?.name) names.push(c.name.text);
    const nb = c?.namedBindings;
    if (nb && t.isNamespaceImport(nb)) names.push(nb.name.text);
    else if (nb) for (const el of nb.elements) names.push(el.name.text);
  } else if (t.isImportEqualsDeclaration(st)) names.push(st.name.text);
  else if ((t.isFunctionDeclaration(st) || t.isClassDeclaration(st) || t.isInterfaceDeclaration(st) || t.isTypeAliasDeclaration(st) || t.isEnumDeclaration(st) || t.isModuleDeclaration(st)) && st.name) {
    names.push(st.name.text);
  }
  return names;
}

/**
 * The declarations later cells see after a cell failed at run time. `next` is tslab's cumulative
 * declarations as if the cell had succeeded; names the cell declares (`declared`) but never
 * assigned (`assigned`) fall back to their declarations in `prev` (or disappear). Types and
 * interfaces (never assigned at run time) are kept: they exist as soon as the cell compiled.
 */
export function declarationsAfterFailure(prev: string, next: string, declared: readonly string[], assigned: ReadonlySet<string>): string {
  const t = ts();
  const unreached = new Set(declared.filter((n) => !assigned.has(n)));
  if (unreached.size === 0) return next;
  const parse = (text: string) => t.createSourceFile("decl.d.ts", text, t.ScriptTarget.Latest, true, t.ScriptKind.TS);
  const nextSf = parse(next);
  const kept: string[] = [];
  for (const st of nextSf.statements) {
    const names = statementNames(t, st);
    // A value statement whose names were all left unreached did not happen.
    if (names.length > 0 && names.every((n) => unreached.has(n))) continue;
    kept.push(st.getFullText(nextSf).trim());
  }
  const prevSf = parse(prev);
  const keptNames = new Set(nextSf.statements.flatMap((st) => statementNames(t, st)).filter((n) => !unreached.has(n)));
  for (const st of prevSf.statements) {
    const names = statementNames(t, st);
    if (names.some((n) => unreached.has(n)) && !names.some((n) => keptNames.has(n))) kept.push(st.getFullText(prevSf).trim());
  }
  return kept.join("\n") + "\n";
}
