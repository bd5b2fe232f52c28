import { arch, cpus, hostname, platform } from 'node:os';

/** The machine a report was measured on, as every scenario records it under `environment`. */
export function machineInfo(): Record<string, string | number> {
  return {
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    host: hostname(),
  };
}
