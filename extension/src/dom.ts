// Element construction. Every string that may come from a kernel or a notebook goes in as text
// (textContent, attribute values), never as HTML: a layer named "<img src=x onerror=...>" shows
// as those characters.
import { nameBreakPieces } from "./format";

export interface ElementOptions {
  cls?: string;
  testid?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
  data?: Record<string, string>;
}

/**
 * Makes the keys typed in `el` (and inside it) act on it, not on the notebook: JupyterLab's key
 * bindings (Lumino's CommandRegistry, which sees keydown at the document before the control does)
 * skip events from inside an element with `data-lm-suppress-shortcuts`. Without it ArrowLeft on a
 * slider or ArrowDown on a menu also moves the notebook's active cell. Tab still leaves the control.
 */
export function keepKeys<T extends HTMLElement>(el: T): T {
  el.setAttribute("data-lm-suppress-shortcuts", "true");
  return el;
}

/** Controls whose own keys (arrows, Home/End, Enter, Space, typing) must not reach the notebook's
 *  shortcuts (Enter on a focused button would also put the notebook in edit mode). */
const KEYED_CONTROLS = new Set(["input", "select", "textarea", "button"]);

/** A DOM element with class, test id, text, attributes and children; form controls keep their keys. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, opts: ElementOptions = {}, children: Node[] = []): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (KEYED_CONTROLS.has(tag)) keepKeys(el);
  if (opts.cls) el.className = opts.cls;
  if (opts.testid) el.dataset.testid = opts.testid;
  if (opts.text !== undefined) el.textContent = opts.text;
  if (opts.title !== undefined) el.title = opts.title;
  for (const [k, v] of Object.entries(opts.attrs ?? {})) {
    // Event-handler attributes would run code: never set them from data.
    if (/^on/i.test(k)) throw new Error(`refusing to set event attribute "${k}"`);
    el.setAttribute(k, v);
  }
  for (const [k, v] of Object.entries(opts.data ?? {})) el.dataset[k] = v;
  for (const c of children) el.appendChild(c);
  return el;
}

/** A <select> with text options; `value` of each option is its key. */
export function select(testid: string, label: string, options: ReadonlyArray<readonly [string, string]>, value: string): HTMLSelectElement {
  const s = h("select", { cls: "camlab-select", testid, attrs: { "aria-label": label } });
  for (const [key, text] of options) {
    const o = h("option", { text });
    o.value = key;
    s.appendChild(o);
  }
  s.value = value;
  return s;
}

/** A control with a visible text label before it (the label names it for screen readers too). */
export function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return h("label", { cls: "camlab-control" }, [h("span", { cls: "camlab-control-label", text }), control]);
}

/**
 * Appends `name` to `el` as text that may wrap only after "_" or "/" (a <wbr> after each; see
 * nameBreakPieces), never inside a word: "block_16_expand_relu" wraps as "block_16_" / "expand_relu".
 * The pieces are text nodes, so a name from the kernel is never parsed as HTML.
 */
export function appendBreakableName(el: HTMLElement, name: string): HTMLElement {
  el.classList.add("camlab-breakable-name");
  nameBreakPieces(name).forEach((piece, i, all) => {
    el.appendChild(document.createTextNode(piece));
    if (i < all.length - 1) el.appendChild(document.createElement("wbr"));
  });
  return el;
}

/** Removes every child of `el`. */
export function clear(el: HTMLElement): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}
