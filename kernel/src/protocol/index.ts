// The shared core of camlab: the message and payload contract and the pure numbers → pixels code.
// No tfjs, no Node, no Buffer: the kernel, the extension and the notebooks import this as code.
export * from "./mime";
export * from "./ops";
export * from "./payload";
export * from "./quantized";
export * from "./colormaps";
export * from "./upsample";
export * from "./blend";
export * from "./histogram";
export * from "./channels";
export * from "./confusion";
