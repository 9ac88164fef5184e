// The model's layers as a navigable graph: search, consumers of each layer, and health badges.
import type { LayerGradientHealth, LayerInfo } from "../protocol";
import { formatNumber } from "../format";

/** Layers whose name contains `query` (case-insensitive); all layers for an empty query. */
export function filterLayers(layers: readonly LayerInfo[], query: string): LayerInfo[] {
  const q = query.trim().toLowerCase();
  return q ? layers.filter((l) => l.name.toLowerCase().includes(q)) : layers.slice();
}

/** For each layer name, the layers that take its output (the inverse of `inbound`). */
export function consumersOf(layers: readonly LayerInfo[]): Map<string, string[]> {
  const out = new Map<string, string[]>(layers.map((l) => [l.name, []]));
  for (const l of layers) {
    for (const src of l.inbound) out.get(src)?.push(l.name);
  }
  return out;
}

export interface HealthBadge {
  status: LayerGradientHealth["status"];
  text: string;
  title: string;
}

/** A badge for each layer whose captured gradient is not healthy. */
export function healthBadges(health: readonly LayerGradientHealth[] | undefined): Map<string, HealthBadge> {
  const badges = new Map<string, HealthBadge>();
  for (const h of health ?? []) {
    if (h.status === "ok") continue;
    const text = h.status === "nan" ? "NaN" : h.status === "inf" ? "Inf" : h.status === "vanishing" ? "vanishing" : "exploding";
    const counts = [h.nanCount ? `${h.nanCount} NaN` : "", h.infCount ? `${h.infCount} Inf` : ""].filter(Boolean).join(", ");
    badges.set(h.layer, {
      status: h.status,
      text,
      title: `gradient ${text}: |grad| = ${formatNumber(h.gradNorm)}${counts ? `; ${counts} values` : ""}`,
    });
  }
  return badges;
}

export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
