// `Symbol.dispose` (explicit resource management) exists at run time on Node 20, but the
// TypeScript that tslab runs notebook cells with (5.0) has no lib for it. Declaring it here lets
// the same sources compile with that compiler and with newer ones.
interface SymbolConstructor {
  readonly dispose: unique symbol;
  readonly asyncDispose: unique symbol;
}
