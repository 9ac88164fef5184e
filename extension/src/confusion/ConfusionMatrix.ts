// The confusion matrix as a grid of buttons: a cell shows its count (or its fraction of the row);
// the mistakes are shaded through the shared colormap by count (protocol's confusionShades, as in
// the saved PNG), the right answers drawn plain; recall per row and precision per column. Arrow keys move between cells (inside the grid, not the notebook); Enter/Space or a
// click opens the cell's gallery.
import { colorAt, confusionShades, rowNormalised, type ColormapName, type ConfusionPayload } from "../protocol";
import { clear, h, keepKeys } from "../dom";

const pct = (v: number | null) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);

export class ConfusionMatrix {
  readonly node = h("table", { cls: "camlab-confusion-matrix", testid: "camlab-confusion-matrix", attrs: { role: "grid", "aria-label": "confusion matrix: rows true class, columns predicted" } });
  private readonly fractions: number[][];
  private readonly shades: (number | null)[][];
  private normalised = false;
  private selected: [number, number] | null = null;
  private readonly cells: HTMLButtonElement[][] = [];

  constructor(
    private readonly payload: ConfusionPayload,
    private readonly onOpen: (truth: number, predicted: number) => void,
    private cmap: ColormapName,
  ) {
    this.fractions = rowNormalised(payload.counts);
    this.shades = confusionShades(payload.counts);
    keepKeys(this.node);
    this.node.addEventListener("keydown", (e) => this.onKey(e));
    this.render();
  }

  setNormalised(on: boolean): void {
    this.normalised = on;
    this.node.dataset.normalised = String(on);
    this.render();
  }

  setColormap(name: ColormapName): void {
    this.cmap = name;
    this.render();
  }

  select(truth: number, predicted: number): void {
    this.selected = [truth, predicted];
    for (const row of this.cells) for (const b of row) b.setAttribute("aria-pressed", String(b.dataset.truth === String(truth) && b.dataset.predicted === String(predicted)));
  }

  private render(): void {
    const p = this.payload;
    const k = p.labels.length;
    clear(this.node);
    this.cells.length = 0;
    const head = h("tr", {}, [h("th", { cls: "camlab-confusion-corner", text: "true ↓ · predicted →" })]);
    p.labels.forEach((l) => head.appendChild(h("th", { cls: "camlab-confusion-col", text: l, attrs: { scope: "col" } })));
    head.appendChild(h("th", { cls: "camlab-confusion-rate", text: "recall", attrs: { scope: "col" } }));
    this.node.appendChild(h("thead", {}, [head]));
    const body = h("tbody");
    for (let t = 0; t < k; t++) {
      const tr = h("tr", {}, [h("th", { cls: "camlab-confusion-row", text: p.labels[t], attrs: { scope: "row" } })]);
      const row: HTMLButtonElement[] = [];
      for (let q = 0; q < k; q++) {
        const count = p.counts[t][q];
        const f = this.fractions[t][q];
        const shade = this.shades[t][q];
        const text = this.normalised ? (count > 0 ? `${(f * 100).toFixed(f >= 0.1 ? 0 : 1)}%` : "0") : String(count);
        const selected = this.selected != null && this.selected[0] === t && this.selected[1] === q;
        const button = h("button", {
          cls: `camlab-confusion-cell${t === q ? " camlab-confusion-cell--diagonal" : ""}`,
          testid: "camlab-confusion-cell",
          text,
          title: `true ${p.labels[t]}, predicted ${p.labels[q]}: ${count} (${(f * 100).toFixed(1)}% of ${p.labels[t]})`,
          data: { truth: String(t), predicted: String(q), count: String(count) },
          attrs: { type: "button", tabindex: t === 0 && q === 0 ? "0" : "-1", "aria-pressed": String(selected) },
        });
        if (shade != null) {
          // A data colour, with black or white text, whichever reads on it; other cells keep the theme's.
          const [r, g, b] = colorAt(this.cmap, shade);
          button.style.background = `rgb(${r}, ${g}, ${b})`;
          button.style.color = 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#000" : "#fff";
          button.dataset.shade = shade.toFixed(3);
        }
        button.addEventListener("click", () => this.onOpen(t, q));
        row.push(button);
        tr.appendChild(h("td", {}, [button]));
      }
      this.cells.push(row);
      tr.appendChild(h("td", { cls: "camlab-confusion-rate", testid: "camlab-confusion-recall", text: pct(p.recall[t]) }));
      body.appendChild(tr);
    }
    const prec = h("tr", {}, [h("th", { cls: "camlab-confusion-rate", text: "precision", attrs: { scope: "row" } })]);
    p.precision.forEach((v) => prec.appendChild(h("td", { cls: "camlab-confusion-rate", testid: "camlab-confusion-precision", text: pct(v) })));
    body.appendChild(prec);
    this.node.appendChild(body);
  }

  /** Arrows move the focus through the cells (roving tabindex); Home/End go to the row's ends. */
  private onKey(e: KeyboardEvent): void {
    const cell = (e.target as HTMLElement).closest<HTMLButtonElement>(".camlab-confusion-cell");
    if (!cell) return;
    const k = this.cells.length;
    let t = Number(cell.dataset.truth), q = Number(cell.dataset.predicted);
    if (e.key === "ArrowUp") t = Math.max(0, t - 1);
    else if (e.key === "ArrowDown") t = Math.min(k - 1, t + 1);
    else if (e.key === "ArrowLeft") q = Math.max(0, q - 1);
    else if (e.key === "ArrowRight") q = Math.min(k - 1, q + 1);
    else if (e.key === "Home") q = 0;
    else if (e.key === "End") q = k - 1;
    else return;
    e.preventDefault();
    e.stopPropagation();
    cell.tabIndex = -1;
    const next = this.cells[t][q];
    next.tabIndex = 0;
    next.focus();
  }
}
