// The layer browser: the model's layers as a navigable list-graph (each layer links to the layers
// feeding it and fed by it), search by name, gradient-health badges, and — on selection — the
// layer's activations in place, fetched from the kernel session.
import { type LayerInfo, type LayersPayload, pageSizeForBudget } from "../protocol";
import { ActivationBrowser, tilesFromPage } from "../activations/ActivationBrowser";
import { appendBreakableName, clear, h, keepKeys } from "../dom";
import type { InteractionMeter, LiveBinding } from "../live";
import { consumersOf, filterLayers, formatCount, formatShape, healthBadges, type HealthBadge } from "./layerTree";

export class LayerBrowser {
  readonly node = h("div", { cls: "camlab-layer-browser" });
  private readonly search = h("input", { cls: "camlab-search", testid: "camlab-layer-search", attrs: { type: "search", placeholder: "Search layers by name", "aria-label": "search layers by name" } });
  private readonly count = h("span", { cls: "camlab-count", testid: "camlab-layer-count" });
  private readonly list = h("ul", { cls: "camlab-layer-list", testid: "camlab-layer-list", attrs: { role: "listbox", "aria-label": "layers" } });
  private readonly detail = h("div", { cls: "camlab-layer-detail", testid: "camlab-layer-detail" });
  private readonly byName: Map<string, LayerInfo>;
  private readonly consumers: Map<string, string[]>;
  private readonly badges: Map<string, HealthBadge>;
  private selected: string | null = null;
  private activations: ActivationBrowser | null = null;
  /** Layers with activations for the bound input, asked of the kernel once live (null: not known). */
  private withActivations: Set<string> | null = null;
  private askedUsable = false;

  constructor(
    private readonly payload: LayersPayload,
    private readonly binding: LiveBinding,
    private readonly meter: InteractionMeter,
  ) {
    this.byName = new Map(payload.layers.map((l) => [l.name, l]));
    this.consumers = consumersOf(payload.layers);
    this.badges = healthBadges(payload.health);
    const totalParams = payload.layers.reduce((s, l) => s + (Number.isFinite(l.params) ? l.params : 0), 0);
    const unhealthy = this.badges.size;
    this.node.append(
      h("div", { cls: "camlab-title", testid: "camlab-model-name", text: payload.modelName }),
      h("div", { cls: "camlab-subtitle", text: `${payload.layers.length} layers · ${formatCount(totalParams)} parameters${payload.health ? ` · gradients captured: ${unhealthy} layer(s) flagged` : ""}` }),
      h("div", { cls: "camlab-toolbar" }, [this.search, this.count]),
      h("div", { cls: "camlab-layer-body" }, [this.list, this.detail]),
    );
    this.search.addEventListener("input", () => this.renderList());
    keepKeys(this.list); // arrows move through the layers, not through the notebook's cells
    this.list.addEventListener("keydown", (e) => this.onKey(e));
    this.renderList();
    this.showDetail(null);
    binding.onChange((state) => {
      if (state === "live") void this.askUsableLayers();
    });
  }

  /** Which layers ran for the bound input (the others have no activations to browse). */
  private async askUsableLayers(): Promise<void> {
    if (this.askedUsable) return;
    this.askedUsable = true;
    try {
      const out = await this.binding.call("layers.usable", {});
      if (!Array.isArray(out.result.activationLayers) || out.result.activationLayers.length === 0) return; // a model-only display
      this.withActivations = new Set(out.result.activationLayers);
      this.node.dataset.layerSource = "kernel";
      this.renderList();
    } catch {
      this.askedUsable = false;
    }
  }

  private renderList(): void {
    const shown = filterLayers(this.payload.layers, this.search.value);
    clear(this.list);
    for (const layer of shown) {
      const li = this.item(layer);
      if (this.withActivations && !this.withActivations.has(layer.name)) {
        li.dataset.hasActivations = "false";
        li.classList.add("camlab-layer-item--no-activations");
      }
      this.list.appendChild(li);
    }
    this.count.textContent = `${shown.length} of ${this.payload.layers.length}`;
    this.updateTabStop();
  }

  /** One Tab stop for the whole list (a roving tabindex): the selected layer, else the first one;
   *  the arrow keys move within the list from there. */
  private updateTabStop(): void {
    const items = [...this.list.querySelectorAll<HTMLLIElement>(".camlab-layer-item")];
    const stop = items.find((i) => i.dataset.layer === this.selected) ?? items[0];
    for (const i of items) i.tabIndex = i === stop ? 0 : -1;
  }

  private item(layer: LayerInfo): HTMLLIElement {
    const badge = this.badges.get(layer.name);
    const li = h("li", {
      cls: `camlab-layer-item${layer.name === this.selected ? " camlab-layer-item--selected" : ""}`,
      testid: "camlab-layer-item",
      data: { layer: layer.name, spatial: String(layer.spatial) },
      attrs: { role: "option", tabindex: "-1", "aria-selected": String(layer.name === this.selected) },
    });
    const head = h("div", { cls: "camlab-layer-head" }, [
      appendBreakableName(h("span", { cls: "camlab-layer-name", testid: "camlab-layer-name" }), layer.name),
      h("span", { cls: "camlab-layer-class", text: layer.className }),
    ]);
    if (badge) {
      head.appendChild(h("span", { cls: `camlab-badge camlab-badge--${badge.status}`, testid: "camlab-health-badge", text: badge.text, title: badge.title, data: { status: badge.status } }));
    }
    const facts = h("div", { cls: "camlab-layer-facts" }, [
      h("span", { cls: "camlab-layer-shape", text: formatShape(layer.outputShape) }),
      h("span", { text: `${formatCount(layer.params)} params` }),
      h("span", { text: layer.trainable ? "trainable" : "frozen" }),
    ]);
    if (layer.inbound.length) {
      const links = h("span", { cls: "camlab-layer-inbound" }, [h("span", { text: "← " })]);
      // Out of the Tab order here (Tab would otherwise stop at every edge of every row): the
      // selected layer's detail pane offers the same jumps to the keyboard.
      for (const src of layer.inbound) {
        const b = links.appendChild(this.link(src));
        b.tabIndex = -1;
      }
      facts.appendChild(links);
    }
    li.append(head, facts);
    li.addEventListener("click", (e) => {
      if ((e.target as HTMLElement).closest(".camlab-layer-link")) return;
      void this.select(layer.name);
    });
    return li;
  }

  /** A button that jumps to another layer (navigating the graph along its edges). */
  private link(name: string): HTMLButtonElement {
    const b = appendBreakableName(h("button", { cls: "camlab-layer-link", testid: "camlab-layer-link", data: { layer: name } }), name) as HTMLButtonElement;
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      this.search.value = "";
      this.renderList();
      void this.select(name);
    });
    return b;
  }

  private onKey(e: KeyboardEvent): void {
    const items = [...this.list.querySelectorAll<HTMLLIElement>(".camlab-layer-item")];
    if (items.length === 0) return;
    const at = items.findIndex((i) => i.dataset.layer === this.selected);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = items[Math.min(items.length - 1, Math.max(0, at + (e.key === "ArrowDown" ? 1 : -1)))];
      void this.select(next.dataset.layer!);
    } else if ((e.key === "Enter" || e.key === " ") && e.target instanceof HTMLLIElement && e.target.dataset.layer) {
      // The focused layer (reached with Tab before any is selected) opens like a click.
      e.preventDefault();
      void this.select(e.target.dataset.layer);
    }
  }

  /** Selects a layer: highlights it, shows its facts, and fetches its activations when live. */
  async select(name: string): Promise<void> {
    const layer = this.byName.get(name);
    if (!layer) return;
    const interaction = this.meter.begin("select-layer");
    this.selected = name;
    for (const li of this.list.querySelectorAll<HTMLLIElement>(".camlab-layer-item")) {
      const on = li.dataset.layer === name;
      li.classList.toggle("camlab-layer-item--selected", on);
      li.setAttribute("aria-selected", String(on));
      if (on) {
        li.focus({ preventScroll: true });
        li.scrollIntoView?.({ block: "nearest" });
      }
    }
    this.updateTabStop();
    this.node.dataset.selectedLayer = name;
    const area = this.showDetail(layer);
    const shape = layer.outputShape;
    if (!layer.spatial || shape.length !== 3 || shape.some((d) => d === null)) {
      area.appendChild(h("div", { cls: "camlab-hint", testid: "camlab-activations-hint", text: `This layer's output ${formatShape(shape)} has no spatial channels to browse; pick a convolutional layer.` }));
      return;
    }
    if (this.withActivations && !this.withActivations.has(name)) {
      area.appendChild(h("div", { cls: "camlab-hint", testid: "camlab-activations-hint", text: `${name} does not run for this input, so it has no activations to show.` }));
      return;
    }
    if (!this.binding.isLive) {
      area.appendChild(h("div", { cls: "camlab-hint", testid: "camlab-activations-hint", text: "Activations come from the kernel session: live data is unavailable for this output (see the note above)." }));
      return;
    }
    const [hgt, wid] = shape as number[];
    const pageSize = pageSizeForBudget(hgt, wid);
    area.appendChild(h("div", { cls: "camlab-hint", testid: "camlab-activations-loading", text: `Fetching the activations of ${name}…` }));
    try {
      const out = await this.binding.call("activations.page", { layer: name, offset: 0, count: pageSize, sort: "index" });
      interaction.add(out);
      if (!interaction.current || this.selected !== name) return;
      const tiles = tilesFromPage(out.result, out.buffers[0]);
      clear(area);
      this.activations?.dispose();
      this.activations = new ActivationBrowser(
        { layer: name, shape: out.result.shape, summaries: out.result.channels, tiles, pageSize, histogram: null },
        this.binding,
        this.meter,
      );
      area.appendChild(this.activations.node);
      this.activations.renderInitial();
      interaction.done();
    } catch (e) {
      if (this.selected !== name) return;
      clear(area);
      area.appendChild(h("div", { cls: "camlab-hint camlab-hint--error", testid: "camlab-activations-hint", text: `Could not fetch the activations of ${name}: ${e instanceof Error ? e.message : String(e)}` }));
    }
  }

  /** Fills the detail pane with the layer's facts; returns the area for its activations. */
  private showDetail(layer: LayerInfo | null): HTMLElement {
    clear(this.detail);
    this.activations?.dispose();
    this.activations = null;
    if (!layer) {
      this.detail.appendChild(h("div", { cls: "camlab-hint", text: "Select a layer to see its activations for the bound input." }));
      return this.detail;
    }
    const outs = this.consumers.get(layer.name) ?? [];
    const facts = h("div", { cls: "camlab-layer-summary" }, [
      appendBreakableName(h("div", { cls: "camlab-title" }), layer.name),
      h("div", { text: `${layer.className} · output ${formatShape(layer.outputShape)} · ${formatCount(layer.params)} params · ${layer.trainable ? "trainable" : "frozen"}` }),
    ]);
    const edges = h("div", { cls: "camlab-layer-edges" });
    edges.appendChild(h("span", { text: layer.inbound.length ? "inputs: " : "inputs: (model input)" }));
    for (const n of layer.inbound) edges.appendChild(this.link(n));
    edges.appendChild(h("span", { text: outs.length ? "  outputs: " : "  outputs: (model output)" }));
    for (const n of outs) edges.appendChild(this.link(n));
    facts.appendChild(edges);
    const badge = this.badges.get(layer.name);
    if (badge) facts.appendChild(h("div", { cls: `camlab-badge camlab-badge--${badge.status}`, text: badge.title }));
    const area = h("div", { cls: "camlab-layer-activations", testid: "camlab-layer-activations" });
    this.detail.append(facts, area);
    return area;
  }

  dispose(): void {
    this.activations?.dispose();
  }
}
