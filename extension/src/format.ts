// Numbers and names as the widgets print them. Captions under 68-pixel tiles and colour-bar ends
// have room for about six characters, so they get a compact form that never needs cutting; the
// exact value goes in the element's title (hover) or in read-outs that have room.

/**
 * A statistic for read-outs with room: 4 significant digits, exponent form below 1e-3 and from 1e5.
 * JSON has no NaN/Infinity, so a non-finite statistic arrives as null and prints "not finite".
 * @example formatNumber(0.000869) // "8.69e-4"
 */
export function formatNumber(x: number | null | undefined): string {
  if (typeof x !== "number") return "not finite";
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e5 || a < 1e-3 ? x.toExponential(2) : Number(x.toPrecision(4)).toString();
}

/**
 * A number in at most 6 characters plus a sign (7 with a two-digit exponent), for captions that
 * must never be cut: 3 significant digits from 0.01 to 1000, whole numbers up to 9999, and below
 * 0.01 or from 1e4 a mantissa of two digits with a bare exponent (8.7e-4, 1.2e5, 3.2e-12).
 * Non-finite values print as NaN, ∞, −∞ or "n/a" (null: a non-finite statistic in JSON).
 * @example formatCompact(0.000869) // "8.7e-4"
 */
export function formatCompact(x: number | null | undefined): string {
  if (typeof x !== "number") return "n/a";
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 0.01 && a < 999.5) {
    // 0.0123 and 0.123 keep three significant digits: at most 6 characters.
    return Number(x.toPrecision(3)).toString();
  }
  if (a >= 999.5 && a < 9999.5) return String(Math.round(x));
  // toExponential writes "8.7e-4" and "1.2e+5"; the "+" is dropped to save a character.
  return x.toExponential(1).replace("e+", "e");
}

/**
 * The exact value for a title: every digit JavaScript has for it (the shortest string that reads
 * back as the same number), so a hover shows what the kernel sent.
 * @example formatFull(0.00086912) // "0.00086912"
 */
export function formatFull(x: number | null | undefined): string {
  return typeof x === "number" ? String(x) : "not finite";
}

/**
 * A name cut into pieces after each "_" (and "/", the separator of graph-model node names), the
 * only places a long layer name may wrap: "block_16_expand_relu" → ["block_", "16_", "expand_",
 * "relu"]. Joined, the pieces are the name again.
 */
export function nameBreakPieces(name: string): string[] {
  return name.match(/[^_/]*(?:[_/]+|$)/g)?.filter((p) => p.length > 0) ?? [];
}
