// Channel order and paging for the activation browser, one rule for both sides: the kernel sorts
// before it pages ("activations.page" with `sort`), the browser sorts a snapshot's statistics
// without asking the kernel, and both cut pages of the same size.
import type { ChannelSortKey, ChannelSummary } from "./mime";

/** Every key channels can be sorted by (the values of ChannelSortKey). */
export const SORT_KEYS: readonly ChannelSortKey[] = ["index", "mean", "max", "sparsity", "camWeight"];

/** The byte budget of one page of uint8 tiles (the benchmark's goal is 64 KB, JSON header included). */
export const PAGE_BUDGET_BYTES = 56 * 1024;
/** The most tiles on one page, however small they are. */
export const MAX_PAGE_TILES = 48;

/**
 * Channels ordered by `key`: "index" ascending, every statistic descending (the channels worth
 * looking at first), ties by index. Channels without the statistic (no camWeight, NaN or an
 * infinity) come last, by index. Returns a new array.
 */
export function sortChannelRows<T extends ChannelSummary>(channels: readonly T[], key: ChannelSortKey): T[] {
  const known = (v: number | undefined): v is number => typeof v === "number" && Number.isFinite(v);
  return [...channels].sort((a, b) => {
    if (key === "index") return a.index - b.index;
    const x = a[key];
    const y = b[key];
    const ka = known(x);
    const kb = known(y);
    if (ka !== kb) return ka ? -1 : 1;
    if (ka && kb && x !== y) return y - x;
    return a.index - b.index;
  });
}

/** The channel indices in the order of sortChannelRows. */
export function sortChannels(channels: readonly ChannelSummary[], key: ChannelSortKey): number[] {
  return sortChannelRows(channels, key).map((c) => c.index);
}

/** True when every channel carries the statistic, so the browser can sort on its own. */
export function canSortLocally(channels: readonly ChannelSummary[], total: number, key: ChannelSortKey): boolean {
  if (channels.length !== total) return false;
  return key === "index" || channels.every((c) => typeof c[key] === "number");
}

/** Pages needed for `total` items, at least one. */
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
 * Tiles per page such that one page of h x w uint8 tiles stays within `budgetBytes`, at least one,
 * at most `max`. The kernel's snapshots and the browser's live pages use it, so pages line up.
 */
export function pageSizeForBudget(height: number, width: number, budgetBytes = PAGE_BUDGET_BYTES, max = MAX_PAGE_TILES): number {
  const perTile = Math.max(1, height * width);
  return Math.max(1, Math.min(max, Math.floor(budgetBytes / perTile)));
}
