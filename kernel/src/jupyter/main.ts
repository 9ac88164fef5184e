// Starting a kernel process from a connection file. The heartbeat starts BEFORE the heavy
// modules (TypeScript, tslab) load: clients without a kernel manager judge a starting kernel by
// its heartbeat, and loading TypeScript takes a second or more.
import { readConnectionFile, endpoint } from "./connection";
import { startHeartbeat } from "./heartbeat";
import type { Kernel } from "./kernel";

export async function runKernel(connectionFile: string, cwd = process.cwd()): Promise<Kernel> {
  const connection = readConnectionFile(connectionFile);
  const realStderr = process.stderr.write.bind(process.stderr);
  const log = (line: string): void => void realStderr(`[camlab kernel] ${line}\n`);
  const heartbeat = await startHeartbeat(endpoint(connection, connection.hb_port), log);
  const { Kernel: KernelClass } = require("./kernel") as typeof import("./kernel");
  const kernel = new KernelClass(connection, { cwd, log, heartbeat });
  await kernel.start();
  return kernel;
}
