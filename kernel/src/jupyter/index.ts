// The Jupyter side of camlab: wire protocol, kernel, comms, kernelspec installation.
// Other parts of camlab use the in-process runtime API (documented in runtime.ts).
export {
  currentKernel,
  type Comm,
  type CommCloseHandler,
  type CommMsgHandler,
  type CommTargetHandler,
  type KernelRuntime,
  type OutgoingBuffers,
} from "./runtime";
export { Kernel, type KernelOptions } from "./kernel";
export { runKernel } from "./main";
export { install, uninstall, kernelSpec, kernelDir, KERNEL_NAME, DISPLAY_NAME, type InstallTarget, type KernelSpec } from "./kernelspec";
export { Signer, ReplayGuard, WireError, decodeMessage, encodeMessage, DELIMITER, PROTOCOL_VERSION, type JupyterMessage, type MessageHeader } from "./wire";
export { KeyboardInterrupt, CompileError, toCellError, type CellError } from "./errors";
