// Channel order and paging for the activation browser. Sorting uses the per-channel statistics
// of the snapshot, in the browser; the kernel is asked only for the tiles of the page shown.
import type { ChannelSortKey, ChannelSummary } from "../protocol";

export const SORT_KEYS: readonly ChannelSortKey[] = ["index", "mean", "max", "sparsity", "camWeight"];

export const SORT_LABELS: Record<ChannelSortKey, string> = {
  index: "channel index",
  mean: "mean (high first)",
  max: "max (high first)",
  sparsity: "sparsity (high first)",
  camWeight: "Grad-CAM weight (high first)",
};

/**
 * Channel indices ordered by `key`: "index" ascending, every statistic descending (the channels
 * worth looking at first), ties by index. Channels without the statistic (e.g. no camWeight,
 * or NaN) come last, by index.
 */
export function sortChannels(channels: readonly ChannelSummary[], key: ChannelSortKey): number[] {
  const rows = channels.map((c) => ({ index: c.index, v: key === "index" ? c.index : c[key] }));
  const known = (v: number | undefined): v is number => typeof v === "number" && !Number.isNaN(v);
  rows.sort((a, b) => {
    const ka = known(a.v);
    const kb = known(b.v);
    if (ka !== kb) return ka ? -1 : 1;
    if (ka && kb && a.v !== b.v) return key === "index" ? (a.v as number) - (b.v as number) : (b.v as number) - (a.v as number);
    return a.index - b.index;
  });
  return rows.map((r) => r.index);
}

/** True when every channel carries the statistic, so the browser can sort on its own. */
export function canSortLocally(channels: readonly ChannelSummary[], total: number, key: ChannelSortKey): boolean {
  if (channels.length !== total) return false;
  return key === "index" || channels.every((c) => typeof c[key] === "number");
}

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, pageSize)));
}

/** The slice of `order` shown on page `page` (0-based, clamped to the last page). */
export function pageSlice<T>(order: readonly T[], page: number, pageSize: number): T[] {
  const last = pageCount(order.length, pageSize) - 1;
  const p = Math.min(Math.max(0, Math.floor(page)), last);
  return order.slice(p * pageSize, (p + 1) * pageSize);
}

/**
 * Tiles per page such that one page of h x w uint8 tiles stays within `budgetBytes` (the
 * benchmark's goal is 64 KB per page, JSON header included), at least one, at most `max`.
 */
export function pageSizeForBudget(height: number, width: number, budgetBytes = 56 * 1024, max = 48): number {
  const perTile = Math.max(1, height * width);
  return Math.max(1, Math.min(max, Math.floor(budgetBytes / perTile)));
}
