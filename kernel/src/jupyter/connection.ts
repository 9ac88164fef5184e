// The connection file Jupyter hands a kernel ({connection_file} in the kernelspec argv).
import { readFileSync } from "node:fs";

export interface ConnectionInfo {
  transport: string;
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

const PORTS = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const;

/** Reads and checks a connection file; errors name the file and the faulty field. */
export function readConnectionFile(path: string): ConnectionInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read the connection file ${path}: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== "object") throw new Error(`connection file ${path} must hold a JSON object`);
  const info = raw as Record<string, unknown>;
  for (const port of PORTS) {
    if (!Number.isInteger(info[port]) || (info[port] as number) <= 0) {
      throw new Error(`connection file ${path}: "${port}" must be a positive integer, got ${JSON.stringify(info[port])}`);
    }
  }
  return {
    transport: typeof info.transport === "string" ? info.transport : "tcp",
    ip: typeof info.ip === "string" ? info.ip : "127.0.0.1",
    shell_port: info.shell_port as number,
    iopub_port: info.iopub_port as number,
    stdin_port: info.stdin_port as number,
    control_port: info.control_port as number,
    hb_port: info.hb_port as number,
    key: typeof info.key === "string" ? info.key : "",
    signature_scheme: typeof info.signature_scheme === "string" ? info.signature_scheme : "hmac-sha256",
    kernel_name: typeof info.kernel_name === "string" ? info.kernel_name : undefined,
  };
}

/** zeromq endpoint for a port; ipc transport uses "<ip>-<port>" paths like jupyter_client. */
export function endpoint(info: ConnectionInfo, port: number): string {
  return info.transport === "ipc" ? `ipc://${info.ip}-${port}` : `${info.transport}://${info.ip}:${port}`;
}
