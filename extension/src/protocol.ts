// The extension's one door to camlab's shared core (kernel/src/protocol): the message and payload
// contract and the numbers → pixels code, compiled into this bundle as code. The core has no tfjs,
// no Node and no Buffer, so nothing else of the kernel can come along.
export * from "../../kernel/src/protocol";
